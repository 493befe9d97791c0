import StarlingProtocol

/// Model names: `[a-z0-9][a-z0-9_.-]{0,63}`, safe as a path component and in URLs.
enum ModelName {
    static func validate(_ name: String) throws(APIError) {
        try validateReference(name)
        let bytes = Array(name.utf8)
        let isStart = { (b: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        }
        let isRest = { (b: UInt8) in
            isStart(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
        }
        guard let first = bytes.first, isStart(first), bytes.count <= 64, bytes.dropFirst().allSatisfy(isRest) else {
            throw .badRequest(
                .invalidModel,
                "model names are 1–64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
        }
    }

    /// Refuses (400 `invalid_model`) a name that looks a model up but holds a control character, so
    /// that `m\u{0}garbage` can never find model `m`; other unknown names stay 404 `model_not_found`.
    static func validateReference(_ name: String) throws(APIError) {
        try ControlCharacters.refuse(in: name, code: .invalidModel, naming: "a model name")
    }
}
