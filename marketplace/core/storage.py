from django.core.files.storage import FileSystemStorage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk that no URL serves: a view that checks ownership streams them."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


def private_storage():
    """Storage of files only their owner may read (STORAGES["private"])."""
    return storages["private"]
