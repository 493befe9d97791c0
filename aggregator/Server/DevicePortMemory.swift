import Foundation
import StarlingProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps the device listener's port across restarts when it was asked for port 0.
///
/// Enrolled devices keep the device URL they were given at enrollment, so a device listener that
/// moved to a new system-chosen port would strand the whole fleet. When `--device-listen` uses port
/// 0, the aggregator first tries the port recorded in the previous `aggregator.json`; only if that
/// port is taken does the system pick a new one.
enum DevicePortMemory {
    /// The address to bind: `requested` itself unless it uses port 0 and the last port is free.
    static func address(for requested: ListenAddress, in directory: DataDirectory) -> ListenAddress {
        guard requested.port == 0, let data = FileManager.default.contents(atPath: directory.endpointFile.path),
            let previous = try? StarlingJSON.decoder().decode(AggregatorEndpoints.self, from: data),
            let port = URLComponents(string: previous.deviceUrl)?.port,
            isFree(requested.with(port: port))
        else { return requested }
        return requested.with(port: port)
    }

    /// Whether a TCP listener could bind `address` now (IPv4 or IPv6 literals; names are not probed).
    static func isFree(_ address: ListenAddress) -> Bool {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, address.host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(address.port).bigEndian)
            return withUnsafePointer(to: &v4) {
                probe(AF_INET, UnsafeRawPointer($0), socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if inet_pton(AF_INET6, address.host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            return withUnsafePointer(to: &v6) {
                probe(AF_INET6, UnsafeRawPointer($0), socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        return false
    }

    private static func probe(_ family: Int32, _ address: UnsafeRawPointer, _ length: socklen_t) -> Bool {
        #if canImport(Glibc)
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return bind(fd, address.assumingMemoryBound(to: sockaddr.self), length) == 0
    }
}
