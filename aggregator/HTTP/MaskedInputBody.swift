import Hummingbird
import NIOCore

/// A masked input's body read into words as its parts arrive: the 400 kB of a 100k-parameter input
/// are not gathered into one buffer first and then copied into words. The words go into storage
/// sized once for the vector the device's round expects (its group's vector length, which the
/// coordinator gives before the body is read), so the aggregator neither grows and copies the
/// array part by part nor reads more than that vector: a body longer than it, or not a whole
/// number of words, is 400 `secagg_invalid_message`.
struct MaskedInputBody {
    private var words: [UInt32] = []
    /// The bytes of a word that a part ended inside of.
    private var partial: [UInt8] = []
    private var count = 0
    private let expected: Int

    /// A body of `expected` words.
    init(expected: Int) {
        self.expected = expected
        words.reserveCapacity(expected)
    }

    /// The words of `request`'s body, at most `expected` of them.
    static func words(of request: Request, expected: Int) async throws -> [UInt32] {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared / 4 > expected { throw tooLong(expected) }
        var body = MaskedInputBody(expected: expected)
        do {
            for try await part in request.body {
                try part.withUnsafeReadableBytes { bytes in try body.take(bytes) }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest(.invalidRequest, "the request body could not be read: \(error)")
        }
        return try body.finished()
    }

    /// Takes the next part of the body.
    mutating func take(_ bytes: UnsafeRawBufferPointer) throws(APIError) {
        count += bytes.count
        guard count / 4 <= expected else { throw Self.tooLong(expected) }
        var offset = 0
        while !partial.isEmpty, offset < bytes.count {
            partial.append(bytes[offset])
            offset += 1
            if partial.count == 4 {
                words.append(partial.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
                partial = []
            }
        }
        let whole = (bytes.count - offset) / 4
        if whole > 0, let source = bytes.baseAddress {
            let start = words.count
            words.append(contentsOf: repeatElement(0, count: whole))
            words.withUnsafeMutableBytes { target in
                target.baseAddress.map { ($0 + start * 4).copyMemory(from: source + offset, byteCount: whole * 4) }
            }
            #if _endian(big)
                for index in start..<words.count { words[index] = UInt32(littleEndian: words[index]) }
            #endif
        }
        partial.append(contentsOf: bytes[(offset + whole * 4)...])
    }

    /// The words, once the body has ended.
    func finished() throws(APIError) -> [UInt32] {
        guard partial.isEmpty else {
            throw .badRequest(.secaggInvalidMessage, "a masked input is a whole number of 32-bit words")
        }
        return words
    }

    private static func tooLong(_ expected: Int) -> APIError {
        .badRequest(
            .secaggInvalidMessage, "a masked input of more than \(expected) values; the round expects \(expected)")
    }
}
