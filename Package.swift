// swift-tools-version:6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features the style anchors ask for.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "dfns-worker",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DfnsSDK", targets: ["DfnsSDK"]),
        .library(name: "DfnsSimulator", targets: ["DfnsSimulator"]),
        .library(name: "DfnsWorker", targets: ["DfnsWorker"]),
        .library(name: "DfnsJobs", targets: ["DfnsJobs"]),
        .library(name: "DfnsPKCS11", targets: ["DfnsPKCS11"]),
        .executable(name: "dfns-worker", targets: ["dfns-worker"]),
        .executable(name: "dfns-bench", targets: ["dfns-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // `swift package generate-documentation`: ops/test builds the DfnsSDK catalog and fails on warnings.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Cryptoki's declarations (p11-kit's pkcs11.h): PKCS#11 modules are loaded at run time, nothing is linked.
        .systemLibrary(name: "CPKCS11", pkgConfig: "p11-kit-1", providers: [.apt(["libp11-kit-dev"])]),
        // prctl(2) for the command-line tool (ProcessHardening): a header-only module.
        .systemLibrary(name: "CProcessControl"),
        .target(
            name: "DfnsSDK",
            dependencies: [
                "COpenSSL",
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DfnsWorker",
            dependencies: [
                "DfnsSDK",
                "COpenSSL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            // The schema's migrations, compiled into the binary; schema.sql is what they make (checked by a test).
            exclude: ["Store/schema.sql"],
            resources: [.embedInCode("Store/Migrations")],
            swiftSettings: swiftSettings
        ),
        // The operator console (HTML under /console of `run`, and `dfns-worker console`).
        .target(
            name: "DfnsConsole",
            dependencies: [
                "COpenSSL",
                "DfnsSDK",
                "DfnsWorker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DfnsJobs",
            dependencies: ["DfnsSDK", "DfnsWorker", .product(name: "Logging", package: "swift-log")],
            path: "Jobs",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DfnsSimulator",
            dependencies: [
                "COpenSSL",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dfns-worker",
            dependencies: [
                "CProcessControl",
                "DfnsConsole",
                "DfnsSDK",
                "DfnsSimulator",
                "DfnsWorker",
                "DfnsJobs",
                "DfnsPKCS11",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sdk-demo",
            dependencies: ["DfnsSDK"],
            path: "Examples/SDKDemo",
            swiftSettings: swiftSettings
        ),
        // An application's backend for its end users' passkeys (issue 28): a page, its script and a JSON API to copy.
        .executableTarget(
            name: "end-user-app",
            dependencies: [
                "DfnsSDK",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Examples/EndUserApp",
            resources: [.embedInCode("Public")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dfns-bench",
            dependencies: [
                "DfnsSDK",
                "DfnsWorker",
                "DfnsJobs",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DfnsTestSupport",
            dependencies: [
                "COpenSSL",
                "DfnsSDK",
                .product(name: "Hummingbird", package: "hummingbird"),
                "DfnsSimulator",
                "DfnsWorker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // Key credentials whose private key stays in a PKCS#11 token (an HSM, SoftHSM2).
        .target(
            name: "DfnsPKCS11",
            dependencies: ["DfnsSDK", "CPKCS11"],
            swiftSettings: swiftSettings
        ),
        // PKCS11Signer against SoftHSM2 (a real PKCS#11 module) and the simulator.
        .testTarget(
            name: "DfnsPKCS11IntegrationTests",
            dependencies: ["DfnsSDK", "DfnsPKCS11", "DfnsSimulator", "DfnsTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The SDK on its own: parsing, signing, pacing and retry rules, no server.
        .testTarget(
            name: "DfnsSDKUnitTests",
            dependencies: ["DfnsSDK", "DfnsSimulator", "DfnsTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The SDK against the simulator over HTTP.
        .testTarget(
            name: "DfnsSDKIntegrationTests",
            dependencies: [
                "DfnsSDK", "DfnsSimulator", "DfnsTestSupport", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // The engine's rules that need no database (the outcome of an attempt, row by row).
        .testTarget(
            name: "DfnsEngineUnitTests",
            dependencies: ["DfnsSDK", "DfnsWorker"],
            swiftSettings: swiftSettings
        ),
        // The suites that need PostgreSQL (DATABASE_URL) and the simulator.
        .testTarget(
            name: "DfnsWorkerIntegrationTests",
            dependencies: [
                "DfnsSDK", "DfnsSimulator", "DfnsWorker", "DfnsJobs", "DfnsConsole", "DfnsTestSupport", "DfnsPKCS11",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The simulator over HTTP.
        .testTarget(
            name: "DfnsSimulatorIntegrationTests",
            dependencies: ["DfnsSDK", "DfnsSimulator", "DfnsTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
