import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP port nothing listens on now, for a process that cannot report the port it bound
/// (HAProxy): the system picks it for a socket that is closed at once.
public enum LoopbackPort {
    public static func unused() throws(AdminError) -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw .failed("cannot open a socket to find an unused loopback port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw .failed("cannot find an unused loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
