import Foundation
import Ledger
import Synchronization

/// Counters and latency histograms in Prometheus text format (`/metrics`).
public final class GatewayMetrics: Sendable {
    static let latencyBucketsSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: GatewayMetrics.latencyBucketsSeconds.count)
        var total = 0
        var sum = 0.0
    }

    private struct State {
        var requests: [String: Int] = [:]          // "route|status"
        var latency: [String: Histogram] = [:]      // route
        var decisions: [String: Int] = [:]          // action
        var webhooks: [String: Int] = [:]           // result
    }

    private let state = Mutex(State())

    public init() {}

    func observe(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests["\(route)|\(status)", default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            for (index, bound) in Self.latencyBucketsSeconds.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.total += 1
            histogram.sum += seconds
            state.latency[route] = histogram
        }
    }

    func countWebhook(_ result: String) {
        state.withLock { $0.webhooks[result, default: 0] += 1 }
    }

    func countDecision(_ action: String) {
        state.withLock { $0.decisions[action, default: 0] += 1 }
    }

    public func render(ledger: LedgerWriterMetrics? = nil, extra: [(name: String, help: String, value: Double)] = []) -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        lines.append("# HELP tollgate_http_requests_total HTTP requests by route and status.")
        lines.append("# TYPE tollgate_http_requests_total counter")
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1)
            lines.append("tollgate_http_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)")
        }
        lines.append("# HELP tollgate_http_request_duration_seconds Time to answer a request, by route.")
        lines.append("# TYPE tollgate_http_request_duration_seconds histogram")
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Self.latencyBucketsSeconds.enumerated() {
                lines.append("tollgate_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(histogram.counts[index])")
            }
            lines.append("tollgate_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(histogram.total)")
            lines.append("tollgate_http_request_duration_seconds_sum{route=\"\(route)\"} \(histogram.sum)")
            lines.append("tollgate_http_request_duration_seconds_count{route=\"\(route)\"} \(histogram.total)")
        }
        lines.append("# HELP tollgate_decisions_total Risk decisions by action.")
        lines.append("# TYPE tollgate_decisions_total counter")
        for action in ["allow", "challenge", "review", "block"] {
            lines.append("tollgate_decisions_total{action=\"\(action)\"} \(snapshot.decisions[action] ?? 0)")
        }
        lines.append("# HELP tollgate_webhook_deliveries_total Webhook delivery attempts by result.")
        lines.append("# TYPE tollgate_webhook_deliveries_total counter")
        for result in ["delivered", "retry", "given_up"] {
            lines.append("tollgate_webhook_deliveries_total{result=\"\(result)\"} \(snapshot.webhooks[result] ?? 0)")
        }
        if let ledger {
            lines.append("# HELP tollgate_ledger_commit_batch_size Submissions per ledger commit (one transaction, one fsync).")
            lines.append("# TYPE tollgate_ledger_commit_batch_size histogram")
            var cumulative = 0
            for (bucket, count) in ledger.batchSizeHistogram.enumerated() {
                cumulative += count
                let bound = bucket < ledger.batchSizeHistogram.count - 1 ? String(1 << bucket) : "+Inf"
                lines.append("tollgate_ledger_commit_batch_size_bucket{le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("tollgate_ledger_commit_batch_size_count \(ledger.committedBatches)")
            lines.append("# HELP tollgate_ledger_committed_events_total Ledger events (accounts, transfers) committed.")
            lines.append("# TYPE tollgate_ledger_committed_events_total counter")
            lines.append("tollgate_ledger_committed_events_total \(ledger.committedEvents)")
            lines.append("# HELP tollgate_ledger_overloaded_total Submissions refused because the writer's queue was full.")
            lines.append("# TYPE tollgate_ledger_overloaded_total counter")
            lines.append("tollgate_ledger_overloaded_total \(ledger.overloadedSubmissions)")
        }
        for metric in extra {
            lines.append("# HELP \(metric.name) \(metric.help)")
            lines.append("# TYPE \(metric.name) gauge")
            lines.append("\(metric.name) \(metric.value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
