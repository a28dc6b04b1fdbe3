import ArgumentParser
import Foundation
import RoostCore
import RoostTesting

/// `roost simulate`: runs a workload trace through the simulated cluster under each named
/// allocation policy and reports them side by side.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a workload trace through the simulated cluster under each allocation policy and compare them.",
        discussion: """
            The trace (JSON) lists agents, frameworks and the tasks each submits over virtual time; see \
            docs/simulate.md. Each --policy runs on a fresh cluster; with two or more the report puts them \
            side by side. Example: roost simulate --trace docs/examples/drf-paper.json --policy drf --policy fifo
            """
    )

    /// A policy named on the command line.
    enum Policy: String, ExpressibleByArgument, CaseIterable {
        case drf, fifo, priority

        var workloadPolicy: WorkloadPolicy {
            switch self {
            case .drf: .drf
            case .fifo: .fifo
            case .priority: .priority
            }
        }
    }

    /// How the report is printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "The workload trace, a JSON file (see docs/simulate.md).")
    var trace: String

    @Option(name: .customLong("policy"), help: "An allocation policy: drf, fifo or priority; repeat to compare (default: all three).")
    var policies: [Policy] = []

    @Option(help: "How to print the report: table or json.")
    var format: Format = .table

    @Option(help: "Also draw utilization and dominant shares over time, per policy, into this SVG file.")
    var plot: String?

    func validate() throws {
        if Set(policies).count != policies.count {
            throw ValidationError("--policy names a policy twice: \(policies.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let workload = try Self.load(trace)
        let chosen = policies.isEmpty ? WorkloadPolicy.allCases : policies.map(\.workloadPolicy)
        var runs: [WorkloadPolicyReport] = []
        for policy in chosen {
            runs.append(await WorkloadSimulation.run(workload, policy: policy))
        }
        let report = WorkloadReport(policies: Dictionary(uniqueKeysWithValues: runs.map { ($0.policy, $0) }))
        switch format {
        case .json: print(try JSONText.encode(report))
        case .table: print(SimulationTable.render(runs, frameworks: workload.frameworks.map(\.id)), terminator: "")
        }
        if let plot {
            let svg = SimulationPlot.render(runs, frameworks: workload.frameworks.map(\.id))
            do {
                try Data(svg.utf8).write(to: URL(fileURLWithPath: plot))
            } catch {
                FileHandle.standardError.write(Data("error: --plot \(plot): cannot write: \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// Reads and checks the trace; a bad one is reported on standard error with the path of the bad field.
    static func load(_ path: String) throws -> WorkloadTrace {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            FileHandle.standardError.write(Data("error: \(path): cannot read: \(error.localizedDescription)\n".utf8))
            throw ExitCode(2)
        }
        do {
            return try WorkloadTrace(json: data)
        } catch {
            FileHandle.standardError.write(Data("error: \(path): \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
