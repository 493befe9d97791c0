// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

/// The release agent's link: the Swift runtime and FoundationEssentials linked in statically, and
/// lld placing the functions the serving daemon runs (recorded by
/// scripts/agent-layout/record-hot-functions.sh) together in front of the rest, so the daemon maps a
/// small part of its code instead of whole shared libraries; no dynamic symbol table, relative
/// relocations packed. Build it with `make agent`.
let agentLayout = "\(Context.packageDirectory)/scripts/agent-layout"
let agentReleaseLinkerFlags = [
    "-static-stdlib",
    // FoundationEssentials' static archive does not name the two archives it needs.
    "-l_FoundationCollections", "-l_FoundationCShims",
    "-use-ld=lld",
    // Nothing loads into the agent or looks its symbols up; exported, their table is 2.6 MB resident.
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--symbol-ordering-file=\(agentLayout)/hot-functions.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "--script=\(agentLayout)/hot-sections.ld",
]

let package = Package(
    name: "Starling",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "starling", targets: ["starling"]),
        .executable(name: "starling-agent", targets: ["starling-agent"]),
        .executable(name: "starling-aggregator", targets: ["starling-aggregator"]),
        .library(name: "StarlingCore", targets: ["StarlingCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "StarlingStorage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingStorageTests",
            dependencies: ["StarlingStorage", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CSystemRandom", path: "Sources/CSystemRandom"),
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "StarlingCore",
            dependencies: ["CBLAS"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingProtocol",
            dependencies: ["StarlingCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "CStarlingInt8",
            path: "quantization/Kernels"
        ),
        .target(
            name: "CStarlingMask",
            path: "Sources/CStarlingMask"
        ),
        .target(
            name: "CStarlingFixedPoint",
            path: "Sources/CStarlingFixedPoint"
        ),
        .target(
            name: "CStarlingX25519",
            path: "Sources/CStarlingX25519"
        ),
        .target(
            name: "Quantization",
            dependencies: ["StarlingCore", "CStarlingInt8"],
            path: "quantization/Quantization",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ONNXImport",
            dependencies: [
                "StarlingCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "quantization/ONNX",
            exclude: ["Generated/onnx.proto", "regenerate.sh"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SecureAggregation",
            dependencies: [
                "StarlingCore",
                "CStarlingMask",
                "CStarlingFixedPoint",
                "CStarlingX25519",
                "CSystemRandom",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Privacy",
            dependencies: [
                "StarlingCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingMetrics",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingDaemon",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingTransport",
            dependencies: [
                "StarlingCore",
                "StarlingProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingAgent",
            dependencies: [
                "StarlingCore",
                "CBLAS",
                "SecureAggregation",
                "Privacy",
                "StarlingProtocol",
                "StarlingTransport",
                "StarlingMetrics",
                "Quantization",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "agent",
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingAggregator",
            dependencies: [
                "StarlingCore",
                "SecureAggregation",
                "Privacy",
                "StarlingProtocol",
                "StarlingTransport",
                "StarlingMetrics",
                "Quantization",
                "StarlingStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "aggregator",
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingAdmin",
            dependencies: [
                "StarlingCore",
                "StarlingProtocol",
                "StarlingTransport",
                "Quantization",
                "ONNXImport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "starling",
            dependencies: [
                "StarlingAdmin",
                "StarlingAgent",
                "StarlingMetrics",
                "CMalloc",
                .product(name: "Logging", package: "swift-log"),
                "StarlingProtocol",
                "StarlingTransport",
                "Privacy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "starling-agent",
            dependencies: [
                "StarlingAgent",
                "StarlingDaemon",
                "StarlingProtocol",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            linkerSettings: [.unsafeFlags(agentReleaseLinkerFlags, .when(platforms: [.linux], configuration: .release))]
        ),
        .executableTarget(
            name: "starling-aggregator",
            dependencies: [
                "StarlingAggregator",
                "StarlingCore",
                "StarlingDaemon",
                "StarlingProtocol",
                "StarlingTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "starling-bench",
            dependencies: [
                "StarlingCore", "StarlingProtocol", "Quantization", "CBLAS", "SecureAggregation", "Privacy",
                "StarlingAgent",
                "StarlingAdmin",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StarlingBench",
            swiftSettings: strictSettings
        ),
        .target(
            name: "StarlingTestSupport",
            dependencies: [
                "StarlingCore", "StarlingProtocol", "StarlingTransport", "StarlingMetrics",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/StarlingTestSupport"
        ),
        .testTarget(name: "StarlingCoreTests", dependencies: ["StarlingCore"], exclude: ["Fixtures", "Vectors"]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "CStarlingInt8", "StarlingCore"]),
        .testTarget(
            name: "ONNXImportTests", dependencies: ["ONNXImport", "StarlingCore"],
            exclude: ["Fixtures", "TorchFixtures"]),
        .testTarget(name: "StarlingTransportTests", dependencies: ["StarlingTransport"]),
        .testTarget(
            name: "SecureAggregationTests",
            dependencies: [
                "SecureAggregation", "CStarlingMask", "StarlingCore", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "StarlingCore"], exclude: ["Vectors"]),
        .testTarget(
            name: "StarlingAgentTests",
            dependencies: [
                "StarlingAgent", "StarlingCore", "StarlingProtocol", "StarlingTransport", "Quantization",
                "StarlingTestSupport", "StarlingMetrics",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "StarlingAggregatorTests",
            dependencies: [
                "StarlingAggregator", "Quantization", "StarlingTestSupport", "SecureAggregation", "Privacy",
                "StarlingStorage", "StarlingMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
            ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "StarlingAdmin", "StarlingTransport", "StarlingProtocol", "StarlingCore", "StarlingTestSupport",
                "StarlingDaemon", "StarlingStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
