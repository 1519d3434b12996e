"""detect-secrets filter (named in .secrets.baseline): a password written in a test is a fixture.

The keyword detector flags every ``password = "…"`` line, and the tests hold many on purpose
(tests/factories.py's DEFAULT_PASSWORD, the forms they post): each new test would otherwise need
an entry in the baseline. Under tests/ only that detector is quietened; the others (cloud keys,
tokens, private keys, credentials in URLs, high-entropy strings) still scan the tests.
"""


def is_a_tests_password(filename: str, secret: str, plugin) -> bool:
    return filename.startswith("tests/") and type(plugin).__name__ == "KeywordDetector"
