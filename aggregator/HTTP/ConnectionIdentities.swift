import NIOCore
import NIOSSL
import StarlingTransport
import Synchronization

/// The device id each open mutual-TLS connection authenticated as. A connection's peer certificate
/// cannot change, and agents send many requests on one connection (HTTP/2 streams side by side, or
/// HTTP/1.1 requests in turn), so the certificate is fetched from the TLS handler and parsed once
/// per connection; the entry goes when the connection closes.
final class ConnectionIdentities: Sendable {
    private struct Entry {
        weak var channel: (any Channel)?
        let deviceID: String
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    /// The common name of the client certificate `channel` was opened with (for an HTTP/2 stream,
    /// its connection); nil without one.
    func deviceID(of request: any Channel) async -> String? {
        let channel = request.acceptedConnection
        let key = ObjectIdentifier(channel)
        let known = entries.withLock { entries in
            entries[key].flatMap { $0.channel === channel ? $0.deviceID : nil }
        }
        if let known { return known }
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes(),
            let deviceID = PKI.commonName(ofDER: der)
        else { return nil }
        entries.withLock { $0[key] = Entry(channel: channel, deviceID: deviceID) }
        channel.closeFuture.whenComplete { _ in
            self.entries.withLock { entries in
                if entries[key]?.channel == nil || entries[key]?.channel === channel { entries[key] = nil }
            }
        }
        return deviceID
    }
}
