import Hummingbird
import NIOSSL
import StarlingTransport

/// Names the device behind a mutual-TLS request: the common name of the verified client
/// certificate must be an enrolled, unrevoked device, else 403 `unknown_device`.
struct DeviceIdentityMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let devices: DeviceRegistry

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let certificate = try? await context.channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes(),
            let deviceID = PKI.commonName(ofDER: der),
            let device = try await devices.activeDevice(id: deviceID)
        else {
            throw APIError.unknownDevice
        }
        var context = context
        context.device = device
        return try await next(request, context)
    }
}
