// swift-tools-version:6.0
import PackageDescription

// Module graph (dependencies run one way):
//   ICUSystem (pkg-config) → CICUShim (C) → Analysis → IndexFormat → Index → Search → SearchCLI (`search`)
//   CIntrinsics (C: carry-less multiplication for CRC-32, cache prefetch) → IndexFormat
// Release builds of the indexing and query modules skip the runtime exclusivity checks
// (each access to a class property or global in a hot loop otherwise calls into the runtime).
let hotLoops: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "search",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "search", targets: ["SearchCLI"]),
    ],
    dependencies: [
        // The command line: subcommands, help text, validation and exit codes.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Reading .docx files, which are ZIP archives.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // Headers and link flags of Debian's ICU, found through pkg-config.
        .systemLibrary(
            name: "ICUSystem",
            pkgConfig: "icu-i18n",
            providers: [.apt(["libicu-dev", "pkg-config"])]
        ),
        // The only code that sees ICU's headers; its public header exposes no ICU type.
        .target(name: "CICUShim", dependencies: ["ICUSystem"]),
        .target(name: "Analysis", dependencies: ["CICUShim"], swiftSettings: hotLoops),
        // Processor instructions Swift cannot reach: x86-64's carry-less multiply (CRC-32)
        // and cache prefetches (interning terms).
        .target(name: "CIntrinsics"),
        .target(name: "IndexFormat", dependencies: ["CIntrinsics"], swiftSettings: hotLoops),
        .target(name: "Index", dependencies: ["Analysis", "IndexFormat", .product(name: "ZIPFoundation", package: "ZIPFoundation")], swiftSettings: hotLoops),
        .target(name: "Search", dependencies: ["Analysis", "Index"]),
        .executableTarget(
            name: "SearchCLI",
            dependencies: [
                "Search", "Index", "IndexFormat", "Analysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The Swift runtime and Foundation linked in (release builds): a query process
            // then starts without loading and binding a dozen shared libraries.
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]
        ),
        // libFuzzer targets (scripts/fuzz.sh builds them with -sanitize=fuzzer -DFUZZING);
        // what they do with an input lives in FuzzSupport, which the regression tests replay.
        .target(name: "FuzzSupport", dependencies: ["Search", "Index", "IndexFormat", "Analysis"]),
        .executableTarget(name: "FuzzQuery", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzDocuments", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzIndex", dependencies: ["FuzzSupport"]),
        // Temporary folders, fixture writing and the shared data's location, for all tests.
        .target(name: "TestSupport", dependencies: ["IndexFormat"], path: "Tests/TestSupport"),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "CICUShim", "TestSupport"]),
        .testTarget(name: "IndexTests", dependencies: ["Index", "IndexFormat", "Analysis", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Index", "IndexFormat", "Analysis", "TestSupport"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzSupport", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["SearchCLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
