import XCTest

@testable import StarlingCore

final class SGDTests: XCTestCase {
    func testMomentumStepsMatchHandComputedValues() {
        // η = 0.1, μ = 0.9, p0 = [1, -2], g = [0.5, 1] then [0.5, -1].
        var optimizer = SGD(learningRate: 0.1, momentum: 0.9, parameterCount: 2)
        var parameters: [Float] = [1, -2]
        optimizer.step(parameters: &parameters, gradient: [0.5, 1])
        // v1 = [0.5, 1]; p1 = [1 − 0.05, −2 − 0.1] = [0.95, −2.1]
        XCTAssertEqual(optimizer.velocity, [0.5, 1])
        XCTAssertEqual(parameters[0], 0.95, accuracy: 1e-6)
        XCTAssertEqual(parameters[1], -2.1, accuracy: 1e-6)
        optimizer.step(parameters: &parameters, gradient: [0.5, -1])
        // v2 = [0.9·0.5 + 0.5, 0.9·1 − 1] = [0.95, −0.1]; p2 = [0.95 − 0.095, −2.1 + 0.01] = [0.855, −2.09]
        XCTAssertEqual(optimizer.velocity[0], 0.95, accuracy: 1e-6)
        XCTAssertEqual(optimizer.velocity[1], -0.1, accuracy: 1e-6)
        XCTAssertEqual(parameters[0], 0.855, accuracy: 1e-6)
        XCTAssertEqual(parameters[1], -2.09, accuracy: 1e-6)
    }

    func testZeroMomentumIsPlainGradientDescent() {
        var optimizer = SGD(learningRate: 0.5, momentum: 0, parameterCount: 1)
        var parameters: [Float] = [2]
        optimizer.step(parameters: &parameters, gradient: [1])
        optimizer.step(parameters: &parameters, gradient: [1])
        XCTAssertEqual(parameters, [1])
    }
}
