// swift-tools-version:6.0
import PackageDescription

// Module graph (a DAG; lower modules never import upper ones):
//   CXXHash (C)  ←  Rules  ←  RulesIO (files)  ←  tollgate (CLI), tollgate-bench
//   TollgateCore ←  Rules
//   CSQLite (C), TollgateCore ←  Store (SQLite connection; ledger and gateway build on it)
// See README "Architecture" for what each module holds.
let package = Package(
    name: "Tollgate",
    platforms: [.macOS(.v14)],
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
        .target(name: "TollgateCore"),
        .target(name: "Store", dependencies: ["TollgateCore", "CSQLite"]),
        .target(name: "Rules", dependencies: ["TollgateCore", "CXXHash"]),
        .target(name: "RulesIO", dependencies: ["Rules"]),
        .executableTarget(name: "tollgate", dependencies: ["TollgateCore", "Rules", "RulesIO"]),
        .executableTarget(
            name: "tollgate-bench",
            dependencies: ["TollgateCore", "Rules", "RulesIO"],
            path: "benchmarks/Sources/tollgate-bench"
        ),
        .testTarget(name: "TollgateCoreTests", dependencies: ["TollgateCore"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "TollgateCore"]),
        .testTarget(name: "CLITests"),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
    ]
)
