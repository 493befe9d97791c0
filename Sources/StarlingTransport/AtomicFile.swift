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

/// Crash-safe file writes: the bytes go to a temporary file in the same folder, which is flushed to
/// disk and then renamed over the target, and the folder itself is flushed; a reader sees the old
/// file or the new one, never a torn one, even after a power cut.
public enum AtomicFile {
    /// Writes `bytes` to `url`, creating missing parent folders, with the given permission bits.
    public static func write(_ bytes: [UInt8], to url: URL, permissions: mode_t = 0o644) throws(FileWriteError) {
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: folder.path, reason: "cannot create the folder")
        }
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw FileWriteError(path: temporary.path, errno: errno) }
        if let code = writeAll(fd, bytes) {
            close(fd)
            unlink(temporary.path)
            throw FileWriteError(path: temporary.path, errno: code)
        }
        // Permissions are set explicitly so the process umask cannot widen or narrow them.
        if fchmod(fd, permissions) != 0 || fsync(fd) != 0 {
            let failure = FileWriteError(path: temporary.path, errno: errno)
            close(fd)
            unlink(temporary.path)
            throw failure
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            let failure = FileWriteError(path: url.path, errno: errno)
            unlink(temporary.path)
            throw failure
        }
        let folderFD = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }

    /// Writes UTF-8 text to `url` atomically.
    public static func write(_ text: String, to url: URL, permissions: mode_t = 0o644) throws(FileWriteError) {
        try write(Array(text.utf8), to: url, permissions: permissions)
    }
}

/// Writes every byte to `fd`, retrying on interruption; returns the errno of a failure.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    bytes.withUnsafeBytes { buffer -> Int32? in
        var offset = 0
        while offset < buffer.count {
            let result = write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += result
        }
        return nil
    }
}

/// A file that could not be written, with the path and the system's reason.
public struct FileWriteError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32) {
        self.init(path: path, reason: String(cString: strerror(code)))
    }

    public var description: String { "cannot write \(path): \(reason)" }
}
