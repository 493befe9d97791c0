import NIOHTTP1
import StarlingProtocol

/// What a local API route answers: a status and a body, JSON unless the route says otherwise.
struct LocalAPIResponse: Sendable {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var contentType = "application/json"

    static func json<Value: Encodable>(_ value: Value, status: HTTPResponseStatus = .ok) -> LocalAPIResponse {
        do {
            return LocalAPIResponse(status: status, body: Array(try StarlingJSON.encoder().encode(value)))
        } catch {
            return problem(.internalError("The answer could not be encoded."))
        }
    }

    static func problem(_ problem: APIProblem) -> LocalAPIResponse {
        let body = APIErrorBody(code: problem.code.rawValue, message: problem.message)
        let bytes = (try? StarlingJSON.encoder().encode(body)).map { Array($0) } ?? []
        return LocalAPIResponse(status: problem.status, body: bytes)
    }
}
