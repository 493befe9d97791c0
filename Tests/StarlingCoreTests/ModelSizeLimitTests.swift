import XCTest

@testable import StarlingCore

/// The size limit refuses an architecture from its widths alone, before anything is allocated.
final class ModelSizeLimitTests: XCTestCase {
    func test_check_refusesTheSeventeenGigabyteArchitecture_withItsExactCount() throws {
        let architecture = try ModelArchitecture(parsing: "65536-65536-10")
        let count = 65_536 * 65_536 + 65_536 + 65_536 * 10 + 10
        XCTAssertEqual(architecture.parameterCount, count)
        assertThrows(
            try ModelSizeLimit.standard.check(architecture),
            equalTo: ModelError.tooManyParameters(architecture: architecture, count: count, limit: 16_000_000))
        XCTAssertEqual(
            ModelError.tooManyParameters(architecture: architecture, count: count, limit: 16_000_000).description,
            "Model 65536-65536-10 has 4295688202 parameters, more than the limit of 16000000.")
    }

    func test_check_admitsAModelAtTheLimit_andRefusesOneParameterOver() throws {
        let architecture = try ModelArchitecture(parsing: "4-3-2")  // 4·3 + 3 + 3·2 + 2 = 23
        XCTAssertNoThrow(try ModelSizeLimit(maximumParameters: 23, maximumLayers: 2).check(architecture))
        assertThrows(
            try ModelSizeLimit(maximumParameters: 22, maximumLayers: 2).check(architecture),
            equalTo: ModelError.tooManyParameters(architecture: architecture, count: 23, limit: 22))
    }

    func test_check_refusesMoreLayersThanTheLimit() throws {
        let deep = try ModelArchitecture(layerSizes: [Int](repeating: 2, count: 34))
        XCTAssertEqual(deep.layerCount, 33)
        assertThrows(try ModelSizeLimit.standard.check(deep), equalTo: ModelError.tooManyLayers(count: 33, limit: 32))
        XCTAssertNoThrow(
            try ModelSizeLimit.standard.check(try ModelArchitecture(layerSizes: [Int](repeating: 2, count: 33))))
    }

    func test_check_refusesALayerNetworkWhoseActivationsAreTooLarge_thoughItHasFewParameters() throws {
        // A 3×3 convolution with 8 filters over a 1024×1024 image: 80 parameters, but its output
        // (8.4 million values) and unfolded patches (9.4 million) per example.
        let wide = try ModelArchitecture(
            network: NetworkDescription(
                input: [1024, 1024, 1],
                layers: [
                    LayerDescription(type: "conv2d", filters: 8, kernel: [3], padding: [1]),
                    LayerDescription(type: "global_avg_pool"), LayerDescription(type: "dense", units: 2),
                ]))
        XCTAssertEqual(wide.parameterCount, 72 + 8 + 16 + 2)
        let count = 1024 * 1024 * (1 + 8 + 9) + 8 + 2
        XCTAssertEqual(wide.network?.activationCount, count)
        assertThrows(
            try ModelSizeLimit.standard.check(wide),
            equalTo: ModelError.tooManyActivations(count: count, limit: 4_000_000))
        let lenet = try ModelArchitecture(
            network: NetworkDescription(
                input: [28, 28, 1],
                layers: [
                    LayerDescription(type: "conv2d", filters: 6, kernel: [5], padding: [2]),
                    LayerDescription(type: "relu"), LayerDescription(type: "max_pool", kernel: [2]),
                    LayerDescription(type: "flatten"), LayerDescription(type: "dense", units: 10),
                ]))
        XCTAssertNoThrow(try ModelSizeLimit.standard.check(lenet))
    }
}
