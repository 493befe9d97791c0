import Hummingbird
import NIOCore

/// The per-request context of both listeners: Hummingbird's core storage plus the connection's
/// `Channel`, so the device listener can read the TLS peer certificate, the device that
/// ``DeviceIdentityMiddleware`` authenticated, and the admin caller ``AdminAuthMiddleware``
/// or ``DashboardSessionMiddleware`` did.
struct AggregatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel
    /// The enrolled device behind the client certificate; set on the device listener only.
    var device: Device?
    /// The admin token's id and role; set on admin-authenticated routes only.
    var admin: AdminPrincipal?
    /// The dashboard session the request came with; set on the dashboard's signed-in pages only.
    var dashboardSession: DashboardSession?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.device = nil
        self.admin = nil
        self.dashboardSession = nil
    }

    /// The authenticated device, or `unknown_device` if none (a route mounted outside the middleware).
    func requireDevice() throws(APIError) -> Device {
        guard let device else { throw APIError.unknownDevice }
        return device
    }
}
