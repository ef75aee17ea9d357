import Foundation

// tollgate-bench: the measuring side of benchmarks/run. Not part of the product.
let usage = """
usage: tollgate-bench rules [--rules FILE] [--count N] [--data-out FILE] [--compile-rules N] [--repetitions N]
       tollgate-bench ledger [--path FILE | --database URL] [--submitters 1,8,64] [--per-submission N] [--seconds S]
       tollgate-bench counters [--keys N] [--updates N] [--memory-keys N]
       tollgate-bench counters-redis --url URL [--threads N] [--seconds S] [--keys N]
"""
var arguments = Array(CommandLine.arguments.dropFirst())
guard let benchmark = arguments.first, ["rules", "ledger", "counters", "counters-redis"].contains(benchmark) else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
arguments.removeFirst()
var options: [String: String] = [:]
while arguments.count >= 2, arguments[0].hasPrefix("--") {
    options[String(arguments[0].dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.isEmpty else {
    FileHandle.standardError.write(Data("tollgate-bench: unexpected argument \(arguments[0])\n\(usage)\n".utf8))
    exit(2)
}
do {
    if benchmark == "counters" {
        try CountersBenchmark.run(
            keys: Int(options["keys"] ?? "") ?? 1_000_000, updates: Int(options["updates"] ?? "") ?? 2_000_000,
            memoryKeys: Int(options["memory-keys"] ?? "") ?? 10_000_000)
        exit(0)
    }
    if benchmark == "counters-redis" {
        guard let url = options["url"] else { throw BenchError("counters-redis needs --url") }
        try CountersBenchmark.runRedis(url: url, threads: Int(options["threads"] ?? "") ?? 32,
                                       seconds: Double(options["seconds"] ?? "") ?? 5, keys: Int(options["keys"] ?? "") ?? 1_000_000)
        exit(0)
    }
    if benchmark == "ledger" {
        try LedgerBenchmark.run(
            path: options["path"], databaseURL: options["database"],
            submitterCounts: (options["submitters"] ?? "1,8,64").split(separator: ",").compactMap { Int($0) },
            transfersPerSubmission: Int(options["per-submission"] ?? "") ?? 1,
            seconds: Double(options["seconds"] ?? "") ?? 5)
        exit(0)
    }
    try RulesBenchmark.run(rulesPath: options["rules"] ?? "rules/default.rules",
                           count: Int(options["count"] ?? "") ?? 1_000_000,
                           dataOut: options["data-out"],
                           compileRules: Int(options["compile-rules"] ?? "") ?? 10_000,
                           repetitions: Int(options["repetitions"] ?? "") ?? 5)
} catch {
    FileHandle.standardError.write(Data("tollgate-bench: error: \(error)\n".utf8))
    exit(1)
}
