import XCTest

@testable import StarlingCore

final class ServerOptimizerTests: XCTestCase {
    func testEveryKindMatchesTheFloat64ReferenceRoundByRound() throws {
        let vectors = try ServerOptimizerVectors.load()
        XCTAssertEqual(Set(vectors.cases.map(\.kind)), Set(ServerOptimizerKind.allCases))
        for reference in vectors.cases {
            var optimizer = try ServerOptimizer(configuration: reference.configuration)
            var x = vectors.x0
            for (round, (delta, expected)) in zip(vectors.deltas, reference.rounds).enumerated() {
                x = try optimizer.step(parameters: x, averageDelta: delta)
                let label = "\(reference.name), round \(round + 1)"
                assertClose(x, expected.x, relative: 1e-5, absolute: 1e-7, "x, \(label)")
                assertClose(optimizer.state.m, expected.m, relative: 1e-5, absolute: 1e-9, "m, \(label)")
                assertClose(optimizer.state.v, expected.v, relative: 1e-5, "v, \(label)")
                XCTAssertEqual(optimizer.state.step, round + 1, label)
            }
        }
    }

    func testFedAvgWithUnitLearningRateAddsTheAverageDelta() throws {
        var optimizer = try ServerOptimizer(configuration: .defaults(for: .fedavg))
        XCTAssertEqual(
            try optimizer.step(parameters: [1, -2, 0.5], averageDelta: [0.25, 0.5, -0.5]), [1.25, -1.5, 0])
        XCTAssertEqual(optimizer.state, ServerOptimizerState(step: 1))
    }

    func testFirstFedAdamStepUsesTauSquaredAsTheInitialSecondMoment() throws {
        // m_0 = 0.1·Δ, v_0 = 0.99·τ² + 0.01·Δ², x_1 = x_0 + η·m_0 / (√v_0 + τ) with Δ = 0.5, τ = 0.1, η = 1.
        let configuration = ServerOptimizerConfiguration(
            kind: .fedadam, learningRate: 1, beta1: 0.9, beta2: 0.99, tau: 0.1)
        var optimizer = try ServerOptimizer(configuration: configuration)
        let x = try optimizer.step(parameters: [0], averageDelta: [0.5])
        let v0 = 0.99 * 0.01 + 0.01 * 0.25
        XCTAssertEqual(Double(optimizer.state.v[0]), v0, accuracy: 1e-9)
        XCTAssertEqual(Double(x[0]), 0.05 / (v0.squareRoot() + 0.1), accuracy: 1e-7)
    }

    func testResumingFromTheEncodedStateContinuesTheSameRun() throws {
        let vectors = try ServerOptimizerVectors.load()
        for kind in ServerOptimizerKind.allCases {
            var whole = try ServerOptimizer(configuration: .defaults(for: kind))
            var first = try ServerOptimizer(configuration: .defaults(for: kind))
            var x = vectors.x0, y = vectors.x0
            for delta in vectors.deltas { x = try whole.step(parameters: x, averageDelta: delta) }
            for delta in vectors.deltas[..<3] { y = try first.step(parameters: y, averageDelta: delta) }
            let stored = first.state.encoded()
            var resumed = try ServerOptimizer(
                configuration: .defaults(for: kind), state: try ServerOptimizerState(decoding: stored))
            for delta in vectors.deltas[3...] { y = try resumed.step(parameters: y, averageDelta: delta) }
            XCTAssertEqual(x, y, "\(kind)")
            XCTAssertEqual(whole.state, resumed.state, "\(kind)")
        }
    }

    func testEncodingIsATwentyByteHeaderAndFourBytesPerValueAndRoundTripsBitForBit() throws {
        let state = ServerOptimizerState(
            step: 7, m: [-0.0, .leastNonzeroMagnitude, 3], v: [1e-30, 0, .greatestFiniteMagnitude])
        let bytes = state.encoded()
        XCTAssertEqual(bytes.count, 20 + 4 * 6)
        XCTAssertEqual(Array(bytes[0..<12]), [0x53, 0x4F, 0x53, 0x01, 7, 0, 0, 0, 0, 0, 0, 0])
        let decoded = try ServerOptimizerState(decoding: bytes)
        XCTAssertEqual(decoded.m.map(\.bitPattern), state.m.map(\.bitPattern))
        XCTAssertEqual(decoded.v.map(\.bitPattern), state.v.map(\.bitPattern))
        XCTAssertEqual(decoded.step, 7)
        XCTAssertEqual(try ServerOptimizerState(decoding: ServerOptimizerState().encoded()), ServerOptimizerState())
    }

    func testDecodingRejectsShortForeignAndMiscountedBytes() {
        let valid = ServerOptimizerState(step: 1, m: [1, 2], v: [3, 4]).encoded()
        for bytes in [Array(valid[..<19]), [0x50, 0x4B, 3, 4] + valid[4...], Array(valid.dropLast()), valid + [0]] {
            guard
                case .invalidEncoding = thrownError({ () throws(ServerOptimizerError) in
                    try ServerOptimizerState(decoding: bytes)
                })
            else { return XCTFail("\(bytes.count) bytes were accepted") }
        }
    }

    func testNonFiniteInputThrowsAndLeavesTheStateUnchanged() throws {
        var optimizer = try ServerOptimizer(configuration: .defaults(for: .fedyogi))
        _ = try optimizer.step(parameters: [1, 2], averageDelta: [0.1, 0.2])
        let before = optimizer.state
        assertThrows(
            try optimizer.step(parameters: [1, 2], averageDelta: [0.1, .nan]),
            equalTo: ServerOptimizerError.nonFiniteInput(name: "averageDelta", index: 1))
        assertThrows(
            try optimizer.step(parameters: [.infinity, 2], averageDelta: [0.1, 0.2]),
            equalTo: ServerOptimizerError.nonFiniteInput(name: "parameters", index: 0))
        XCTAssertEqual(optimizer.state, before)
    }

    func testAnOverflowingStepIsNotTakenAndLeavesTheStateUnchanged() throws {
        var optimizer = try ServerOptimizer(
            configuration: ServerOptimizerConfiguration(
                kind: .fedavgm, learningRate: 100, beta1: 0.9, beta2: 0, tau: 1))
        assertThrows(
            try optimizer.step(parameters: [0, .greatestFiniteMagnitude], averageDelta: [1, 1e37]),
            equalTo: ServerOptimizerError.nonFiniteResult(index: 1))
        XCTAssertEqual(optimizer.state, ServerOptimizerState())
    }

    func testLengthsThatDisagreeAreRejected() throws {
        var optimizer = try ServerOptimizer(configuration: .defaults(for: .fedadam))
        assertThrows(
            try optimizer.step(parameters: [1, 2], averageDelta: [1]),
            equalTo: ServerOptimizerError.lengthMismatch(parameters: 2, delta: 1))
        _ = try optimizer.step(parameters: [1, 2], averageDelta: [1, 1])
        assertThrows(
            try optimizer.step(parameters: [1, 2, 3], averageDelta: [1, 1, 1]),
            equalTo: ServerOptimizerError.invalidState("m has 2 values, the model 3 parameters"))
    }

    func testAStateThatItsKindCannotHaveProducedIsRejected() {
        let adaptive = ServerOptimizerState(step: 2, m: [1], v: [1])
        assertThrows(
            try ServerOptimizer(configuration: .defaults(for: .fedavgm), state: adaptive),
            equalTo: ServerOptimizerError.invalidState("fedavgm keeps no v, but the state has one"))
        assertThrows(
            try ServerOptimizer(configuration: .defaults(for: .fedadam), state: ServerOptimizerState(step: 2, m: [1])),
            equalTo: ServerOptimizerError.invalidState("m has 1 values and v 0"))
        assertThrows(
            try ServerOptimizer(configuration: .defaults(for: .fedyogi), state: ServerOptimizerState(m: [1], v: [-1])),
            equalTo: ServerOptimizerError.invalidState("v[0] is -1.0, not a finite non-negative number"))
    }

    func testDefaultsOfEveryKindAreValid() throws {
        for kind in ServerOptimizerKind.allCases {
            XCTAssertEqual(try ServerOptimizerConfiguration.defaults(for: kind).validated().kind, kind)
        }
    }

    func testHyperParametersOutsideTheirRangesAreRejected() {
        let base = ServerOptimizerConfiguration.defaults(for: .fedadam)
        let invalid: [WritableKeyPath<ServerOptimizerConfiguration, Double>: [Double]] = [
            \.learningRate: [0, -1, 100.5, .nan, .infinity],
            \.beta1: [-0.1, 1, .nan],
            \.beta2: [1, 2, .nan],
            \.tau: [0, 1.5, .nan],
        ]
        for (path, values) in invalid {
            for value in values {
                var configuration = base
                configuration[keyPath: path] = value
                guard
                    case .invalidConfiguration = thrownError({ () throws(ServerOptimizerError) in
                        try configuration.validated()
                    })
                else { return XCTFail("\(path) = \(value) was accepted") }
            }
        }
    }
}
