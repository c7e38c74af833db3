// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: C shims → FolioGit / FolioS3 → FolioStore → FolioServer → folio.
let package = Package(
    name: "Folio",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "folio", targets: ["folio"]),
        .library(name: "FolioStore", targets: ["FolioStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // FolioGit writes its own packs (zlib entries, SHA-1 trailer) for group commits.
        .target(name: "FolioGit", dependencies: ["CGit2", "CZlib", "CCrypto"]),
        .target(name: "FolioS3", dependencies: ["CCurl", "CCrypto", "CZlib"]),
        .target(
            name: "FolioStore",
            dependencies: [
                "FolioGit",
                "FolioS3",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FolioServer",
            dependencies: [
                "FolioStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "folio",
            dependencies: [
                "FolioStore",
                "FolioServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Throughput and latency measurements; results are written to BENCHMARKS.md.
        .executableTarget(
            name: "folio-bench",
            dependencies: ["FolioStore", "FolioGit", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/FolioBench"
        ),
        // Helpers the test targets share: temp folders, running `git` and the `folio` binary.
        .target(name: "FolioTestSupport", path: "Tests/FolioTestSupport"),
        .testTarget(name: "FolioGitTests", dependencies: ["FolioGit", "FolioTestSupport"]),
        .testTarget(name: "FolioS3Tests", dependencies: ["FolioS3"], exclude: ["sigv4_vectors.py"]),
        .testTarget(name: "FolioStoreTests", dependencies: ["FolioStore", "FolioGit", "FolioTestSupport"]),
        .testTarget(name: "folioTests", dependencies: ["FolioStore", "FolioTestSupport"]),
        .testTarget(
            name: "FolioServerTests",
            dependencies: [
                "FolioServer", "FolioStore", "FolioTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
