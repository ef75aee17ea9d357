// swift-tools-version:6.0
import PackageDescription

// Module graph (a DAG; lower modules never import upper ones):
//   CXXHash (C)  ←  Rules  ←  RulesIO (files)  ←  tollgate (CLI), tollgate-bench
//   TollgateCore ←  Rules
//   CSQLite, CPostgres, CHiredis (C), TollgateCore ←  Store (SQLite, PostgreSQL and Redis connections, migrations)
//   Store ←  Ledger (accounts, transfers, group commit) ←  tollgate
//   Rules, Store, CXXHash ←  Risk (velocity counters: in memory, in Redis, and columnar replay for batch)
//   CMicroHTTPD (C, libmicrohttpd + a shim for its variadic start) ←  HTTP (server, router)
//   HTTP, Store, Risk, Fingerprints ←  Gateway (the API: merchants, keys, decisions) ←  tollgate serve
//   COpenSSL, CGeoIP, CXXHash (C) ←  Fingerprints (card HMAC, device levels, GeoIP country)
//   Risk, Fingerprints, CZlib (C) ←  Batch (tollgate score / backtest: readers, replay, reports) ←  tollgate
// See README "Architecture" for what each module holds.
let package = Package(
    name: "Tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
    ],
    targets: [
        .systemLibrary(
            name: "CXXHash",
            path: "Sources/CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            path: "Sources/CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CGeoIP",
            path: "Sources/CGeoIP",
            pkgConfig: "geoip",
            providers: [.apt(["libgeoip-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "CMicroHTTPD",
            path: "Sources/CMicroHTTPD",
            linkerSettings: [.linkedLibrary("microhttpd")]
        ),
        .target(name: "TollgateCore"),
        .target(name: "Store", dependencies: ["TollgateCore", "CSQLite", "CPostgres", "CHiredis"]),
        .target(name: "Ledger", dependencies: ["TollgateCore", "Store"]),
        .target(name: "Rules", dependencies: ["TollgateCore", "CXXHash"]),
        .target(name: "RulesIO", dependencies: ["Rules"]),
        .target(
            name: "Risk", dependencies: ["TollgateCore", "Rules", "Store", "CXXHash"],
            // As in Batch: hot replay loops over arrays owned by one thread each.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(name: "HTTP", dependencies: ["CMicroHTTPD", "TollgateCore"]),
        .target(name: "Fingerprints", dependencies: ["COpenSSL", "CGeoIP", "CXXHash"]),
        .target(name: "Gateway", dependencies: ["HTTP", "Store", "Ledger", "Risk", "Rules", "Fingerprints", "TollgateCore", "COpenSSL"]),
        .target(
            name: "Batch", dependencies: ["TollgateCore", "Rules", "Risk", "Fingerprints", "CXXHash", "CZlib"],
            // Columns live in classes; their hot loops run on one thread each, so the
            // dynamic exclusivity checks on every array access only cost time here.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .executableTarget(name: "tollgate", dependencies: ["TollgateCore", "Rules", "RulesIO", "Ledger", "Store", "Risk", "Batch", "Fingerprints", "HTTP", "Gateway"]),
        .executableTarget(
            name: "tollgate-bench",
            dependencies: ["TollgateCore", "Rules", "RulesIO", "Ledger", "Store", "Risk"],
            path: "benchmarks/Sources/tollgate-bench"
        ),
        .testTarget(name: "TollgateCoreTests", dependencies: ["TollgateCore"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "TollgateCore"]),
        .testTarget(name: "CLITests", dependencies: ["Store", "TollgateCore"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "RiskTests", dependencies: ["Risk", "Rules", "TollgateCore"]),
        .testTarget(name: "FingerprintsTests", dependencies: ["Fingerprints"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "HTTP", "Ledger", "Store", "Rules", "TollgateCore"]),
        .testTarget(name: "BatchTests", dependencies: ["Batch", "Risk", "Rules", "TollgateCore"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Store", "TollgateCore"]),
    ]
)
