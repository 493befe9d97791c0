import Foundation
import XCTest

@testable import StarlingCore

final class ModelArchitectureTests: XCTestCase {
    func testParsesDashSeparatedWidthsAndCountsParameters() throws {
        let architecture = try ModelArchitecture(parsing: " 64-32-10 ")
        XCTAssertEqual(architecture.dense?.layerSizes, [64, 32, 10])
        XCTAssertEqual(architecture.description, "64-32-10")
        XCTAssertEqual(architecture.inputSize, 64)
        XCTAssertEqual(architecture.outputSize, 10)
        XCTAssertEqual(architecture.parameterCount, 64 * 32 + 32 + 32 * 10 + 10)
        XCTAssertEqual(architecture.layerCount, 2)
        XCTAssertEqual(try ModelArchitecture(parsing: "4-3").layerCount, 1)
    }

    func testRejectsZeroWidthSingleWidthAndNonNumericText() {
        for text in ["64-0-10", "64", "abc", "", "64--10", "64-32-70000", "-64-10"] {
            let error = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: text) }
            guard case .invalidArchitecture(let reason)? = error else {
                return XCTFail("'\(text)' should be an invalid architecture, got \(String(describing: error))")
            }
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertEqual(
            thrownError { () throws(ModelError) in try ModelArchitecture(parsing: "64-0-10") }?.description,
            "Invalid model architecture: layer 1 has width 0, expected 1...65536.")
    }

    func testCodesAsTheDashSeparatedString() throws {
        let architecture = try ModelArchitecture(layerSizes: [4, 3])
        let json = try JSONEncoder().encode([architecture])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["4-3"]"#)
        XCTAssertEqual(try JSONDecoder().decode([ModelArchitecture].self, from: json), [architecture])
        XCTAssertThrowsError(try JSONDecoder().decode([ModelArchitecture].self, from: Data(#"["4"]"#.utf8)))
    }

    func testParsesAndPrintsTheHiddenActivationSuffix() throws {
        XCTAssertEqual(try ModelArchitecture(parsing: "64-32-10").dense?.hiddenActivation, .relu)
        for activation in HiddenActivation.allCases {
            let architecture = try ModelArchitecture(parsing: "64-32-10/\(activation.rawValue)")
            XCTAssertEqual(architecture.dense?.layerSizes, [64, 32, 10])
            XCTAssertEqual(architecture.dense?.hiddenActivation, activation)
            XCTAssertEqual(try ModelArchitecture(parsing: architecture.description), architecture)
        }
        XCTAssertEqual(try ModelArchitecture(parsing: "64-32-10/relu").description, "64-32-10")
        XCTAssertEqual(try ModelArchitecture(parsing: " 64-32-10/tanh\n").description, "64-32-10/tanh")
    }

    func testRejectsUnknownActivationsExtraSlashesAndActivationsWithoutHiddenLayers() {
        for text in ["64-32-10/gelu", "64-32-10/", "64-32-10/tanh/relu", "/tanh", "4-3/tanh", "64-32-10/Tanh"] {
            let error = thrownError { () throws(ModelError) in try ModelArchitecture(parsing: text) }
            guard case .invalidArchitecture? = error else {
                return XCTFail("'\(text)' should be an invalid architecture, got \(String(describing: error))")
            }
        }
        let error = thrownError { () throws(ModelError) in
            try ModelArchitecture(layerSizes: [4, 3], hiddenActivation: .sigmoid)
        }
        XCTAssertEqual(
            error?.description,
            "Invalid model architecture: a network without hidden layers has no hidden activation, got 'sigmoid'.")
    }

    func testCodesTheActivationInTheStringAndStillDecodesOldManifests() throws {
        let tanh = try ModelArchitecture(layerSizes: [4, 5, 3], hiddenActivation: .tanh)
        let json = try JSONEncoder().encode([tanh])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["4-5-3\/tanh"]"#)
        XCTAssertEqual(try JSONDecoder().decode([ModelArchitecture].self, from: json), [tanh])
        let old = try JSONDecoder().decode([ModelArchitecture].self, from: Data(#"["4-5-3"]"#.utf8))
        XCTAssertEqual(old, [try ModelArchitecture(layerSizes: [4, 5, 3])])
        XCTAssertEqual(old.first?.dense?.hiddenActivation, .relu)
    }
}
