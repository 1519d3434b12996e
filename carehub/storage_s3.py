"""The S3 media storage, answering an unreachable or refusing bucket like a full or read-only disk.

Separate from ``carehub.storage`` so that a filesystem deployment never imports boto3. An object is
written whole or not at all (a failed multipart upload is aborted by boto3), so nothing is removed.
"""

from __future__ import annotations

import logging

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage

from carehub.storage import StorageUnavailable

logger = logging.getLogger(__name__)


class MediaS3Storage(S3Storage):
    def save(self, name, content, max_length=None):
        try:
            return super().save(name, content, max_length=max_length)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            logger.error("could not write %s to the bucket: %s", name, exc)
            raise StorageUnavailable(full=False) from exc
