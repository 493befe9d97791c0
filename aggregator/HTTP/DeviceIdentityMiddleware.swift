import Hummingbird

/// Names the device behind a mutual-TLS request: the common name of the verified client
/// certificate must be an enrolled, unrevoked device, else 403 `unknown_device`.
struct DeviceIdentityMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let devices: DeviceRegistry
    let connections = ConnectionIdentities()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let deviceID = await connections.deviceID(of: context.channel),
            let device = devices.activeDevice(id: deviceID)
        else {
            throw APIError.unknownDevice
        }
        var context = context
        context.device = device
        return try await next(request, context)
    }
}
