from django.core.files.storage import storages


def private_storage():
    """Storage of files only their owner may read; it has no public URL."""
    return storages["private"]
