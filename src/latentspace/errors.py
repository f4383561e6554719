"""Errors that the command line reports as one clear line instead of a traceback."""


class LatentspaceError(Exception):
    """Base class: bad input or a failed step, explained in one line."""


class DataError(LatentspaceError):
    """A data source is missing, malformed or fails its checksum."""


class TrainingError(LatentspaceError):
    """Training diverged or was configured impossibly."""


class DeviceError(LatentspaceError):
    """The requested compute device is not available."""
