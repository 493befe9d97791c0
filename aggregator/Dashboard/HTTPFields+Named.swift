import Hummingbird

/// Header fields by name, for the fields swift-http-types has no constant for (`Sec-Fetch-Site`).
extension HTTPFields {
    /// The first value of the field `name` (lowercase).
    func value(named name: String) -> String? {
        first { $0.name.canonicalName == name }?.value
    }
}
