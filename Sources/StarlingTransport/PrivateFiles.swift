#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Folders and databases only their owner may read. A data folder holds private keys, token hashes
/// and device data, so it is made, or narrowed to, mode 0700; a SQLite database and its `-wal` and
/// `-shm` files get 0600. SQLite gives the `-wal` and `-shm` files it creates the mode of the
/// database file, so creating that file 0600 before SQLite opens it covers them; files an earlier
/// version left wider are narrowed. Modes are set explicitly, whatever the process umask.
public enum PrivateFiles {
    /// Makes `url` (and any missing parent) and sets its mode to 0700.
    public static func folder(_ url: URL) throws(FileWriteError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: url.path, reason: "cannot create the folder")
        }
        guard chmod(url.path, 0o700) == 0 else { throw FileWriteError(path: url.path, errno: errno) }
    }

    /// Creates the database file at `url` if missing, and sets it and its `-wal` and `-shm` files,
    /// where they exist, to mode 0600.
    public static func database(_ url: URL) throws(FileWriteError) {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileWriteError(path: url.path, errno: errno) }
        close(fd)
        for path in [url.path, url.path + "-wal", url.path + "-shm"] {
            guard chmod(path, 0o600) == 0 || errno == ENOENT else { throw FileWriteError(path: path, errno: errno) }
        }
    }
}
