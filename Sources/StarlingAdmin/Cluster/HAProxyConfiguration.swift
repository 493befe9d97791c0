import Foundation
import StarlingProtocol

/// HAProxy in front of aggregator replicas: TLS passes through (devices present their client
/// certificates to the aggregator itself). Devices' connections go round-robin to every replica
/// whose `/healthz` answers, since each serves devices alike; the public listener's (admins,
/// enrollment, the dashboard) go to the replica whose `/v1/leader` answers 200, so a takeover moves
/// them to the new leader. SIGUSR1 stops it cleanly (connections still open are cut after 5 s).
public struct HAProxyConfiguration: Sendable {
    public let publicPort: Int
    public let devicePort: Int
    public let replicas: [AggregatorEndpoints]

    public init(publicPort: Int, devicePort: Int, replicas: [AggregatorEndpoints]) {
        self.publicPort = publicPort
        self.devicePort = devicePort
        self.replicas = replicas
    }

    /// The configuration file's text.
    public var text: String {
        let ports = replicas.map { (public: Self.port($0.url), device: Self.port($0.deviceUrl)) }
        let check = { (path: String) in
            """
                option httpchk
                http-check send meth GET uri \(path) ver HTTP/1.1 hdr Host 127.0.0.1
                http-check expect status 200
                default-server check check-ssl verify none inter 250ms fall 1 rise 1 on-marked-down shutdown-sessions
            """
        }
        return """
            global
                maxconn 2000
                hard-stop-after 5s
            defaults
                mode tcp
                timeout connect 2s
                timeout client 5m
                timeout server 5m
            frontend public
                bind 127.0.0.1:\(publicPort)
                default_backend replicas_public
            frontend devices
                bind 127.0.0.1:\(devicePort)
                default_backend replicas_devices
            backend replicas_public
            \(check(APIPath.leader))
            \(ports.enumerated().map { "    server r\($0.offset) 127.0.0.1:\($0.element.public)" }.joined(separator: "\n"))
            backend replicas_devices
                balance roundrobin
            \(check(APIPath.healthz))
            \(ports.enumerated().map { "    server r\($0.offset) 127.0.0.1:\($0.element.device) port \($0.element.public)" }.joined(separator: "\n"))

            """
    }

    private static func port(_ url: String) -> Int { URLComponents(string: url)?.port ?? 0 }
}
