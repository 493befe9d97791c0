import StarlingProtocol

/// What a device may say about itself in its watch and in deployment reports, checked before any
/// of it is stored or shown: an enrolled device is still untrusted input, and what it reports
/// reaches the database, the dashboard and operators' terminals. Anything else is 400
/// `invalid_request`.
enum DeviceReportBounds {
    /// Revisions the aggregator hands out are far shorter.
    static let maximumRevisionLength = 128

    static func check(_ request: WatchRequest) throws(APIError) {
        guard request.revision.utf8.count <= maximumRevisionLength else {
            throw invalid("revision holds at most \(maximumRevisionLength) bytes")
        }
        guard (0...DeviceCounts.maximum).contains(request.sampleCount) else {
            throw invalid("sample_count must be an integer in 0…\(DeviceCounts.maximum)")
        }
        if let running = request.runningModel {
            _ = try versionTag(running, field: "running_model")
        }
    }

    /// `text` as `name@version` with a valid model name and a version from 1, or 400.
    static func versionTag(_ text: String, field: String) throws(APIError) -> VersionTag {
        guard text.utf8.count <= 80, let tag = VersionTag(text) else {
            throw invalid("\(field) must be name@version, a model name and a version from 1")
        }
        try check(tag, field: field)
        return tag
    }

    /// 400 unless `tag` names a valid model name and a version from 1.
    static func check(_ tag: VersionTag, field: String) throws(APIError) {
        guard tag.version >= 1, (try? ModelName.validate(tag.model)) != nil else {
            throw invalid("\(field) must be name@version, a model name and a version from 1")
        }
    }

    private static func invalid(_ message: String) -> APIError { .badRequest(.invalidRequest, message) }
}
