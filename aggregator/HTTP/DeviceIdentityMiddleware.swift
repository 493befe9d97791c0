import Hummingbird

/// Names the device behind a mutual-TLS request: the common name of the verified client
/// certificate must be an enrolled device. A revoked one is 403 `device_revoked`, anything else
/// unknown 403 `unknown_device`. The directory is asked on every request, not once per connection,
/// so a revocation reaches connections that are already open.
struct DeviceIdentityMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let devices: DeviceRegistry
    let connections = ConnectionIdentities()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let deviceID = await connections.deviceID(of: context.channel) else { throw APIError.unknownDevice }
        guard let device = try await known(deviceID) else {
            throw devices.directory.revocation(id: deviceID) == nil ? APIError.unknownDevice : APIError.deviceRevoked
        }
        var context = context
        context.device = device
        return try await next(request, context)
    }

    /// The active device with this id: from the directory, or for one enrolled through another
    /// replica since the directory was last reloaded, from the database.
    private func known(_ id: String) async throws -> Device? {
        if let device = devices.activeDevice(id: id) { return device }
        guard devices.directory.revocation(id: id) == nil else { return nil }
        return try await devices.enrolledElsewhere(id: id)
    }
}
