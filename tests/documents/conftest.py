import pytest

from documents.models import Folder
from tests.documents.factories import FolderFactory, ResidentFactory


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue holds."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root, settings, tmp_path):
    """Every test writes its files, and the pieces of its uploads, under its own temporary directory."""
    settings.UPLOAD_PIECES_DIR = tmp_path / "upload-pieces"


@pytest.fixture
def folder_a(site_a, coordinator_a):
    return FolderFactory(scope=Folder.Scope.SITE, site=site_a, name="Protocoles du site", created_by=coordinator_a)


@pytest.fixture
def open_folder_a(site_a):
    return FolderFactory(scope=Folder.Scope.SITE, site=site_a, name="Partagé", staff_may_upload=True)


@pytest.fixture
def group_folder(group_admin):
    return FolderFactory(scope=Folder.Scope.GROUP, name="Procédures du groupe", created_by=group_admin)


@pytest.fixture
def resident_a(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, first_name="Marcel", last_name="Durand")


@pytest.fixture
def resident_folder_a(resident_a):
    from documents.services import resident_folder_get_or_create

    return resident_folder_get_or_create(resident=resident_a)
