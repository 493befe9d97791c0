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

/// An artifact being downloaded (`models/<sha256>.partial`), open for appending: every chunk lands
/// where the last one ended, so whatever the file holds after a crash or a dropped connection is a
/// prefix of the artifact, which the next attempt continues from. Synced before it is renamed into
/// place. Appended to by one task at a time; closed when released.
final class PartialFile: Sendable {
    let url: URL
    private let descriptor: Int32

    /// Opens `url` for appending, creating it when missing and emptying it when `truncating`.
    init(url: URL, truncating: Bool) throws(AgentError) {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncating ? O_TRUNC : 0)
        let descriptor = open(url.path, flags, 0o644)
        guard descriptor >= 0 else {
            throw .unwritableFile("cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        self.url = url
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The size of the file at `url` in bytes, 0 when there is none.
    static func size(of url: URL) -> Int {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return 0 }
        return Int(info.st_size)
    }

    /// Appends every byte of `bytes`, retrying on interruption.
    func append(_ bytes: [UInt8]) throws(AgentError) {
        let failure: Int32? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw .unwritableFile("cannot append to \(url.path): \(String(cString: strerror(failure)))") }
    }

    /// Flushes what was appended to the disk.
    func sync() throws(AgentError) {
        guard fsync(descriptor) == 0 else {
            throw .unwritableFile("cannot sync \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
