import StarlingProtocol

extension ControlCharacters {
    /// 400 `code` when `text`, described as `what` ("a model name"), holds a control character.
    /// Every name the admin API creates or looks up is checked with it.
    static func refuse(in text: String, code: APIErrorCode, naming what: String) throws(APIError) {
        if let found = first(in: text) {
            throw .badRequest(code, "\(what) may not contain control characters, and this one has \(found)")
        }
    }
}
