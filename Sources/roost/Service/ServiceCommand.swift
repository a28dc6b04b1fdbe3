import ArgumentParser
import Foundation
import RoostCluster
import RoostCore
import RoostMaster
import RoostService
import UnixSignals

/// `roost service`: long-running services (Marathon-style) on the embedded cluster.
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Run long-running services: instances kept healthy, rolling upgrades, placement constraints.",
        discussion: "Service files are YAML or JSON; see docs/service.md for every field and its default.",
        subcommands: [ServiceRun.self, ServiceValidate.self]
    )
}

/// `roost service validate app.yaml`: checks a service file without running anything.
struct ServiceValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a service file and print the service with every default filled in (JSON)."
    )

    @Argument(help: "The service file (.yaml, .yml or .json).")
    var file: String

    func run() async throws {
        let spec = try loadService(file)
        say(try JSONText.encode(spec))
        say("version \(spec.version)")
    }
}

/// `roost service run app.yaml`: runs one service on an embedded cluster until interrupted.
struct ServiceRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a service file on an embedded cluster until SIGINT, showing its instances' health live.",
        discussion: """
            Prints a line whenever the service's instances, health, deployment or back-off change, and \
            the instances themselves. Send SIGHUP to re-read the file and deploy it: a changed command, \
            environment or check rolls out under the file's upgradeStrategy; a changed instance count \
            scales. A bad file on SIGHUP is reported and the running version keeps running. Exits 0 \
            after SIGINT or SIGTERM (every instance is stopped), 2 when the file is invalid.
            """
    )

    @Argument(help: "The service file (.yaml, .yml or .json).")
    var file: String

    @OptionGroup var options: ClusterOptions

    func run() async throws {
        let spec = try loadService(file)
        let logger = options.bootstrapLogging()
        let cluster = LocalCluster(configuration: try options.configuration(logger: logger))
        let started = ContinuousClock.now
        let file = self.file
        try await cluster.run { running in
            let master = running.master
            let scheduler = try await ServiceScheduler(configuration: .init(
                explain: { id in await master.explain(id) }, logger: logger))
            try await scheduler.deploy(spec)
            say("roost service: \(spec.id) (\(spec.instances) instance(s), version \(spec.version.prefix(8))) on \(running.agents.count) agent(s)")
            say("sandboxes: \(running.workDirectory)")
            say("SIGHUP re-reads \(file) and deploys it; SIGINT stops\n")
            let driver = running.driver(for: await scheduler.frameworkInfo)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scheduler.run { try await driver.run($0) } }
                group.addTask { try await Self.watch(spec.id, on: scheduler, since: started) }
                group.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup) {
                        guard signal == .sighup else {
                            say("\n\(signal): stopping every instance")
                            return
                        }
                        await Self.reload(file, into: scheduler)
                    }
                }
                _ = try await group.next()
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
        say(String(format: "stopped after %.1f s", (ContinuousClock.now - started).seconds))
    }

    /// Re-reads the service file and deploys it; a problem is printed and changes nothing.
    static func reload(_ file: String, into scheduler: ServiceScheduler) async {
        do {
            let spec = try ServiceSpec(contentsOf: file)
            if let deployment = try await scheduler.deploy(spec) {
                say("SIGHUP: deploying \(file): \(deployment.kind.rawValue) to version \(deployment.version.prefix(8)), \(deployment.instances) instance(s) (\(deployment.id))")
            } else {
                say("SIGHUP: \(file) is what runs; nothing to deploy")
            }
        } catch let error as any CodedError {
            say("SIGHUP: \(file) not deployed: \(error.message)")
        } catch {
            say("SIGHUP: \(file) not deployed: \(error)")
        }
    }

    /// Prints the service's state whenever it changes (checked four times a second).
    static func watch(_ id: String, on scheduler: ServiceScheduler, since started: ContinuousClock.Instant) async throws {
        var last: [String] = []
        while true {
            guard let status = await scheduler.status(of: id) else { return }
            let lines = describe(status)
            if lines != last {
                let time = String(format: "%6.1fs  ", (ContinuousClock.now - started).seconds)
                say(time + lines[0])
                for line in lines.dropFirst() { say("         " + line) }
                last = lines
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The status as lines: a summary, then the deployment, back-off, problems and instances.
    static func describe(_ status: ServiceStatus) -> [String] {
        let counts = status.counts
        var summary = "\(status.id) v\(status.version.prefix(8)): \(counts.healthy)/\(status.instances) healthy"
        var parts: [String] = []
        if counts.launching > 0 { parts.append("\(counts.launching) launching") }
        if counts.unhealthy > 0 { parts.append("\(counts.unhealthy) unhealthy") }
        if counts.notReady > 0 { parts.append("\(counts.notReady) not ready") }
        if counts.killing > 0 { parts.append("\(counts.killing) stopping") }
        if counts.outdated > 0 { parts.append("\(counts.outdated) on an older version") }
        if !parts.isEmpty { summary += " (" + parts.joined(separator: ", ") + ")" }
        var lines = [summary]
        if let deployment = status.deployment { lines.append("deployment \(deployment.id): \(deployment.summary)") }
        if let remaining = status.delayRemaining {
            lines.append(String(format: "next launch in %.1f s (back-off)", remaining.seconds))
        }
        if let failure = status.lastFailure {
            lines.append("last failure: \(failure.taskID) \(failure.state.rawValue)\(failure.message.isEmpty ? "" : ": \(failure.message)")")
        }
        for problem in status.placementProblems.prefix(3) { lines.append("not placed: \(problem)") }
        for reason in status.allocator.prefix(2) { lines.append("allocator: \(reason)") }
        for instance in status.instanceList {
            var health = instance.state == .running ? "running" : instance.state.rawValue.replacingOccurrences(of: "TASK_", with: "").lowercased()
            if instance.killing { health = "stopping" }
            if instance.hasHealthCheck { health += instance.healthy.map { $0 ? ", healthy" : ", unhealthy" } ?? ", health unknown" }
            if instance.hasReadinessCheck { health += instance.ready == true ? ", ready" : ", not ready" }
            let ports = instance.ports.isEmpty ? "" : " ports \(instance.ports.map(String.init).joined(separator: ","))"
            lines.append("  \(instance.taskID) v\(instance.version.prefix(8)) on \(instance.hostname)\(ports): \(health)")
        }
        return lines
    }
}

/// Loads and validates a service file, or exits 2 with the problem (naming the field).
func loadService(_ file: String) throws -> ServiceSpec {
    do {
        return try ServiceSpec(contentsOf: file)
    } catch {
        FileHandle.standardError.write(Data("error: \(file): \(error.message)\n".utf8))
        throw ExitCode(2)
    }
}
