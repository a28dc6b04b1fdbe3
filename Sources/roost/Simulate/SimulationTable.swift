import Foundation
import RoostTesting

/// The side-by-side text report of `roost simulate`: one row per figure, one column per policy.
enum SimulationTable {
    static func render(_ runs: [WorkloadPolicyReport], frameworks: [String]) -> String {
        var rows: [[String]] = [["policy"] + runs.map(\.policy)]
        var separators: Set<Int> = [1]
        for id in frameworks {
            separators.insert(rows.count)
            rows.append(["framework \(id)"] + runs.map { _ in "" })
            func row(_ label: String, _ value: (WorkloadFrameworkReport) -> String) {
                rows.append(["  " + label] + runs.map { run in run.frameworks[id].map(value) ?? "-" })
            }
            row("launched / finished") { "\($0.tasksLaunched) / \($0.tasksFinished)" }
            row("running / pending") { "\($0.tasksRunning) / \($0.tasksPending)" }
            row("allocated at end") { $0.allocated }
            row("dominant share") { fixed($0.dominantShare, 3) }
            row("wait mean / p99 (s)") { "\(fixed($0.wait.meanSeconds, 1)) / \(fixed($0.wait.p99Seconds, 1))" }
            row("preempted") { "\($0.preemptions)" }
            row("offers received / declined") { "\($0.offersReceived) / \($0.offersDeclined)" }
        }
        separators.insert(rows.count)
        rows.append(["cluster"] + runs.map { _ in "" })
        let resources = Array(Set(runs.flatMap(\.utilization.keys))).sorted()
        for name in resources {
            rows.append(["  \(name) used mean / peak"] + runs.map { run in
                run.utilization[name].map { "\(percent($0.mean)) / \(percent($0.peak))" } ?? "-"
            })
        }
        rows.append(["  wait mean / p99 (s)"] + runs.map { "\(fixed($0.wait.meanSeconds, 1)) / \(fixed($0.wait.p99Seconds, 1))" })
        rows.append(["  preemptions"] + runs.map { "\($0.preemptions)" })
        if let until = runs.first?.untilSeconds {
            rows.append(["  virtual time (s)"] + runs.map { _ in fixed(until, 0) })
        }

        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (index, row) in rows.enumerated() {
            if separators.contains(index), index > 0 {
                text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
            let cells = row.enumerated().map { column, cell in
                column == 0 ? cell.padding(to: widths[column]) : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            text += String(cells.joined(separator: "  ").reversed().drop(while: { $0 == " " }).reversed()) + "\n"
        }
        return text
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    static func percent(_ value: Double) -> String {
        String(format: "%.1f%%", value * 100)
    }
}
