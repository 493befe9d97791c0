import NIOHTTPTypes
import StarlingTransport

extension HTTPRequestPart: RequestPartShape {
    public var isRequestHead: Bool {
        if case .head = self { true } else { false }
    }

    public var isRequestEnd: Bool {
        if case .end = self { true } else { false }
    }
}

extension HTTPResponsePart: ResponsePartShape {
    public var isResponseEnd: Bool {
        if case .end = self { true } else { false }
    }
}
