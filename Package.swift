// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: C shims → FolioSupport → FolioGit / FolioS3 / FolioPostgres → FolioStore → FolioServer / FolioHooks → folio;
// FolioMarkdown (over cmark-gfm) stands apart and only FolioServer's web UI uses it.
// Every target imports only what it uses (MemberImportVisibility), and C modules, GRDB and FolioGit are
// `internal import`s where they are implementation details, so this graph is a rule the compiler checks.
let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
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
        // For the connection guard's channel handler, which sits in Hummingbird's NIO pipeline.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The web UI's templates: `{{name}}` escapes HTML, so user text is safe by default.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCMarkGFM", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // syncfs(2), which glibc declares only under _GNU_SOURCE.
        .target(name: "CFolioSupport"),
        // What several modules need below the domain: hex, digests, durable file writes, object ids, zlib streams.
        .target(
            name: "FolioSupport",
            dependencies: ["CCrypto", "CFolioSupport", "CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // FolioGit writes its own packs (zlib entries, SHA-1 trailer) for group commits.
        .target(name: "FolioGit", dependencies: ["CGit2", "CZlib", "FolioSupport"], swiftSettings: strict),
        .target(name: "FolioS3", dependencies: ["CCurl", "FolioSupport"], swiftSettings: strict),
        // libpq behind a small synchronous API (connection, rows, pool); no libpq handle leaves it.
        .target(name: "FolioPostgres", dependencies: ["CLibPQ"], swiftSettings: strict),
        .target(
            name: "FolioStore",
            dependencies: [
                "FolioGit",
                "FolioPostgres",
                "FolioS3",
                "FolioSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // GitHub-flavoured Markdown to HTML with raw HTML dropped, for the web UI; the C parser stays inside.
        .target(name: "FolioMarkdown", dependencies: ["CCMarkGFM"], swiftSettings: strict),
        .target(
            name: "FolioServer",
            dependencies: [
                "FolioMarkdown",
                "FolioStore",
                "FolioSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // The git hooks that guard pushes (`hooks/scripts`, installed by `folio hooks install`), the checks
        // they run, and the diff driver for clones.
        .target(
            name: "FolioHooks",
            dependencies: ["FolioGit", "FolioStore", "FolioSupport"],
            path: "hooks",
            resources: [.copy("scripts")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "folio",
            dependencies: [
                "FolioHooks",
                "FolioStore",
                "FolioServer",
                "FolioSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `folio serve` runs the application FolioServer builds as a service.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Throughput and latency measurements; results are written to BENCHMARKS.md.
        .executableTarget(
            name: "folio-bench",
            dependencies: ["FolioStore", "FolioGit", "FolioSupport", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/FolioBench"
        ),
        // Coverage-guided fuzzing of the JSON parser, the file key rules and envelope decoding: built with
        // libFuzzer by scripts/fuzz.sh; a normal build replays the kept corpus (Fuzz/corpus).
        .executableTarget(
            name: "folio-fuzz",
            dependencies: ["FolioStore"],
            path: "Fuzz/FolioFuzz",
            swiftSettings: strict
        ),
        // Helpers the test targets share: temp folders, running `git` and the `folio` binary.
        .target(name: "FolioTestSupport", dependencies: ["FolioPostgres", "FolioSupport"], path: "Tests/FolioTestSupport"),
        .testTarget(name: "FolioGitTests", dependencies: ["FolioGit", "FolioSupport", "FolioTestSupport"]),
        .testTarget(name: "FolioSupportTests", dependencies: ["FolioSupport"]),
        .testTarget(name: "FolioHooksTests", dependencies: ["FolioHooks", "FolioStore", "FolioSupport"]),
        .testTarget(name: "FolioMarkdownTests", dependencies: ["FolioMarkdown"]),
        .testTarget(name: "FolioPostgresTests", dependencies: ["FolioPostgres", "FolioTestSupport"]),
        .testTarget(name: "FolioS3Tests", dependencies: ["FolioS3", "FolioSupport"], exclude: ["sigv4_vectors.py"]),
        .testTarget(name: "FolioStoreTests", dependencies: ["FolioStore", "FolioGit", "FolioPostgres", "FolioSupport", "FolioTestSupport"]),
        .testTarget(name: "folioTests", dependencies: ["FolioStore", "FolioSupport", "FolioTestSupport", "FolioPostgres"]),
        .testTarget(
            name: "FolioServerTests",
            dependencies: [
                "FolioServer", "FolioStore", "FolioSupport", "FolioTestSupport", "FolioPostgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
