"""Confined access to the output folder: no read, write or delete ever leaves it.

The output folder is untrusted input (a pull request controls ``generated/``), so every
access goes through a ``Folder``: paths are relative, walked one component at a time
with directory file descriptors opened ``O_NOFOLLOW``, so a symbolic link anywhere below
the folder (to a folder or a file) is never followed; meeting one on a path the build
needs raises ``UnsafePath`` naming it, as does a file where a folder is needed or a
folder (or device, or pipe) where a file is needed.  Renames and deletes use the same
descriptors, so a link swapped in between two steps cannot redirect them either.
``lock`` serialises builds into one folder with ``fcntl.flock``.

This module owns *how* the folder is touched; what to write, keep or delete is
``generator.writer``'s.  It must not interpret file contents.  POSIX only (``dir_fd``).
"""

from __future__ import annotations

import errno
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
# A new file, never an existing one or a symlink's target.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafePath(Exception):
    """``path`` (relative to the folder) is a symbolic link, or not the kind of entry the
    build needs there; ``why`` says which."""

    def __init__(self, path: str, why: str):
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (the one place file contents reach the disk; tests replace it
    to simulate a full disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Folder:
    """One output folder, opened once; ``close()`` it (or use ``with``).

    ``Folder(path)`` opens an existing folder, or records that there is none yet
    (``exists`` is False: reads find nothing).  ``create()`` makes it and its parents.
    """

    def __init__(self, path: os.PathLike | str):
        self.path = os.path.realpath(os.fspath(path))
        self._fds: dict[str, int] = {}
        try:
            self._fds[""] = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            raise UnsafePath(".", "is a file, not a folder") from None
        self.created_root = False
        self.made: list[str] = []

    @property
    def exists(self) -> bool:
        return "" in self._fds

    def __enter__(self) -> Folder:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def create(self) -> None:
        """Make the folder (and its parents) if it does not exist; ``made`` lists the
        folders this made, deepest first (for undoing it)."""
        if not self.exists:
            path = self.path
            while not os.path.lexists(path):
                self.made.append(path)
                path = os.path.dirname(path)
            os.makedirs(self.path, exist_ok=True)
            self.created_root = True
            self._fds[""] = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))

    # --- folders ----------------------------------------------------------------------

    def dir_fd(self, folder: str, create: bool = False, created: list[str] | None = None) -> int | None:
        """A descriptor of ``folder`` ("" is the root); None when it does not exist (and
        ``create`` is False).  Folders made here are appended to ``created``."""
        fd = self._fds.get(folder)
        if fd is not None:
            return fd
        if not self.exists:
            return None
        parent, _, name = folder.rpartition("/")
        pfd = self.dir_fd(parent, create, created)
        if pfd is None:
            return None
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
        except FileNotFoundError:
            if not create:
                return None
            os.mkdir(name, 0o755, dir_fd=pfd)
            if created is not None:
                created.append(folder)
            fd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
        except OSError as exc:
            raise self._unsafe(folder, exc, want_dir=True, parent_fd=pfd) from None
        self._fds[folder] = fd
        return fd

    def _unsafe(self, rel: str, exc: OSError, want_dir: bool, parent_fd: int | None = None) -> OSError | UnsafePath:
        if parent_fd is not None and exc.errno in (errno.ENOTDIR, errno.ELOOP):
            try:  # O_DIRECTORY's ENOTDIR wins over O_NOFOLLOW's ELOOP: look without following
                if stat.S_ISLNK(os.stat(rel.rpartition("/")[2], dir_fd=parent_fd, follow_symlinks=False).st_mode):
                    exc = OSError(errno.ELOOP, "symbolic link")
            except OSError:
                pass
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            return UnsafePath(rel, "is a symbolic link; the generator never follows links in its output folder")
        if exc.errno == errno.ENOTDIR and want_dir:
            return UnsafePath(rel, "is a file where the build needs a folder")
        return exc

    def check_dirs(self, rel: str) -> None:
        """Raise ``UnsafePath`` if any existing folder on the way to ``rel`` is a link or a
        file; missing folders are fine (a build creates them)."""
        folder = rel.rpartition("/")[0]
        if folder:
            self.dir_fd(folder)

    def entry_kind(self, rel: str) -> str | None:
        """'file', 'dir', 'link', 'other', or None when nothing is there (no link followed)."""
        folder, _, name = rel.rpartition("/")
        fd = self.dir_fd(folder)
        if fd is None:
            return None
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return "link"
        if stat.S_ISDIR(st.st_mode):
            return "dir"
        return "file" if stat.S_ISREG(st.st_mode) else "other"

    # --- files ------------------------------------------------------------------------

    def read(self, rel: str) -> bytes | None:
        """The bytes of the regular file ``rel``; None when it does not exist.  A link or
        anything but a regular file raises ``UnsafePath``."""
        folder, _, name = rel.rpartition("/")
        fd = self.dir_fd(folder)
        if fd is None:
            return None
        try:
            ffd = os.open(name, _READ_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unsafe(rel, exc, want_dir=False) from None
        try:
            st = os.fstat(ffd)
            if stat.S_ISDIR(st.st_mode):
                raise UnsafePath(rel, "is a folder where the build needs a file")
            if not stat.S_ISREG(st.st_mode):
                raise UnsafePath(rel, "is not a regular file")
            chunks = []
            while chunk := os.read(ffd, max(st.st_size + 1, 1 << 16)):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(ffd)

    def write_new(self, rel: str, data: bytes, sync: bool = True) -> None:
        """Create the file ``rel`` (it must not exist; its folder must) holding ``data``,
        mode 0644, flushed to disk with fsync.  On error nothing of it is left."""
        folder, _, name = rel.rpartition("/")
        fd = self.dir_fd(folder)
        if fd is None:
            raise FileNotFoundError(errno.ENOENT, "No such folder", folder)
        ffd = os.open(name, _NEW_FILE, 0o644, dir_fd=fd)
        try:
            try:
                _write_all(ffd, data)
                os.fchmod(ffd, 0o644)  # as the generator leaves files, whatever the umask
                if sync:
                    os.fsync(ffd)
            finally:
                os.close(ffd)
        except BaseException:
            self.unlink(rel, missing_ok=True)
            raise

    def replace(self, src: str, dst: str) -> None:
        """Rename the file ``src`` over ``dst`` (both relative; atomic on one file system)."""
        sfolder, _, sname = src.rpartition("/")
        dfolder, _, dname = dst.rpartition("/")
        sfd, dfd = self.dir_fd(sfolder), self.dir_fd(dfolder)
        if sfd is None or dfd is None:  # (never None as a dir_fd: that means the cwd)
            raise FileNotFoundError(errno.ENOENT, "No such folder", sfolder if sfd is None else dfolder)
        os.replace(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)

    def put_cached(self, rel: str, data: bytes) -> None:
        """Replace ``rel`` (its folder made if needed) with a file holding ``data``,
        written beside it first and renamed over it, not flushed: a cache's entry."""
        folder = rel.rpartition("/")[0]
        self.dir_fd(folder, create=True)
        tmp = f"{rel}.tmp"
        self.unlink(tmp, missing_ok=True)
        self.write_new(tmp, data, sync=False)
        self.replace(tmp, rel)

    def keep_only(self, folder: str, names: set[str]) -> None:
        """Delete every entry of ``folder`` whose name is not in ``names``."""
        for entry in self.names(folder):
            if entry.name not in names:
                self.unlink(f"{folder}/{entry.name}", missing_ok=True)

    def sync_all(self) -> None:
        """Flush everything written so far on the folder's file system to disk: one
        ``syncfs(2)`` instead of an fsync per file (``benchmarks/bench_build.py`` has the
        row that shows what it buys); ``os.sync()`` where ``syncfs`` is missing."""
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if "" in self._fds and libc.syncfs(self._fds[""]) == 0:
                return
        except (OSError, AttributeError):
            pass
        os.sync()

    def sync_dir(self, folder: str) -> None:
        """fsync a folder, so that renames in it survive a power loss."""
        fd = self.dir_fd(folder)
        if fd is not None:
            os.fsync(fd)

    def unlink(self, rel: str, missing_ok: bool = False) -> None:
        """Delete the file (or link: never its target) ``rel``."""
        folder, _, name = rel.rpartition("/")
        fd = self.dir_fd(folder)
        try:
            if fd is None:
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", rel)
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rmdir(self, folder: str) -> bool:
        """Remove ``folder`` if it is empty; whether it was removed."""
        parent, _, name = folder.rpartition("/")
        pfd = self.dir_fd(parent)
        if pfd is None:
            return False
        fd = self._fds.pop(folder, None)
        if fd is not None:
            os.close(fd)
        try:
            os.rmdir(name, dir_fd=pfd)
            return True
        except OSError:
            return False

    def names(self, folder: str) -> list[os.DirEntry]:
        """The entries of ``folder`` (none if it does not exist)."""
        fd = self.dir_fd(folder)
        if fd is None:
            return []
        return list(os.scandir(fd))

    def walk(self, skip: frozenset[str] = frozenset()) -> list[str]:
        """Every file and link below the folder, as relative paths, without entering
        links or the folders named in ``skip``; sorted."""
        out = []
        todo = [""]
        while todo:
            folder = todo.pop()
            for entry in self.names(folder):
                rel = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in skip:
                        todo.append(rel)
                else:
                    out.append(rel)
        return sorted(out)

    # --- the lock -------------------------------------------------------------------------

    def lock(self, folder: str, name: str, exclusive: bool, create: bool) -> int | None:
        """Take ``fcntl.flock`` on ``folder/name`` (made when ``create``), waiting for any
        other holder; returns the descriptor to keep (closing it releases the lock), or
        None when there is no lock file and ``create`` is False."""
        import fcntl

        fd = self.dir_fd(folder, create=create)
        if fd is None:
            return None
        flags = (os.O_RDWR | os.O_CREAT if create else os.O_RDONLY) | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            lfd = os.open(name, flags, 0o644, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unsafe(f"{folder}/{name}", exc, want_dir=False) from None
        fcntl.flock(lfd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        return lfd
