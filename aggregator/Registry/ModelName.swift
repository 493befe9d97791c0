/// Model names: `[a-z0-9][a-z0-9_.-]{0,63}`, safe as a path component and in URLs.
enum ModelName {
    static func validate(_ name: String) throws(APIError) {
        let bytes = Array(name.utf8)
        let isStart = { (b: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        let isRest = { (b: UInt8) in isStart(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") }
        guard let first = bytes.first, isStart(first), bytes.count <= 64, bytes.dropFirst().allSatisfy(isRest) else {
            throw .badRequest("invalid_model", "model names are 1–64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
        }
    }
}
