import NIOCore

/// A request body sent in slices, that says when the last slice has been handed to the connection:
/// the client asks for the next slice only once the connection takes more, so by then all but the
/// last few have left the process. A caller that bounds how many large bodies are in flight (a
/// fleet simulation's masking turns) frees its place there instead of holding it while the answer
/// is awaited.
struct HandedOverBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let body: ByteBuffer
    let sliceBytes: Int
    let handedOver: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ByteBuffer
        let sliceBytes: Int
        let handedOver: @Sendable () -> Void
        var finished = false

        mutating func next() async -> ByteBuffer? {
            guard !finished else { return nil }
            guard let slice = rest.readSlice(length: Swift.min(sliceBytes, rest.readableBytes)), slice.readableBytes > 0
            else {
                finished = true
                handedOver()
                return nil
            }
            return slice
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(rest: body, sliceBytes: Swift.max(1, sliceBytes), handedOver: handedOver)
    }
}
