import FoundationEssentials
import RoostCore

extension ServiceSpec {
    /// Checks every field's value, so a bad spec is refused before anything runs or is replaced.
    ///
    /// ``ServiceScheduler/deploy(_:force:)`` calls it; ``decode(_:format:)`` and
    /// ``init(contentsOf:)`` call it after decoding.
    /// - Throws: ``ServiceSpecError`` with code `invalidValue` naming the first bad field, such
    ///   as `service.instances: must be between 0 and 1000, got -1`.
    public func validate() throws(ServiceSpecError) {
        try Self.validateID(id)
        do { try command.validate(field: "service.command") } catch {
            throw .invalidField("service.command", "\(error.message); for example command: python3 -m http.server $PORT0")
        }
        if resources.isEmpty {
            throw .invalidField("service.resources", "an instance must use some resources, for example cpus:0.1;mem:64")
        }
        if !resources.ranges(named: "ports").isEmpty {
            throw .invalidField("service.resources", "do not list ports as a resource; name them in service.ports and Roost takes them from the agent's range")
        }
        for key in environment.keys.sorted() {
            if key.isEmpty || key.contains("=") || key.contains("\0") {
                throw .invalidField("service.environment", "'\(key)' is not a valid variable name")
            }
            if key.hasPrefix("ROOST_") || key == "PORTS" || key.wholeMatch(of: /PORT(\d+|_.+)/) != nil {
                throw .invalidField("service.environment", "'\(key)' is reserved: Roost sets ROOST_*, PORT<n>, PORT_<NAME> and PORTS itself; choose another name")
            }
        }
        guard (0...Self.maxInstances).contains(instances) else {
            throw .invalidField("service.instances", "must be between 0 and \(Self.maxInstances), got \(instances)")
        }
        for (index, name) in ports.enumerated() {
            let valid = !name.isEmpty && name.count <= 63 && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
            if !valid {
                throw .invalidField("service.ports[\(index)]", "'\(name)' must be 1–63 lowercase letters, digits and '-', such as http")
            }
            if ports[..<index].contains(name) {
                throw .invalidField("service.ports[\(index)]", "'\(name)' is named twice; each port needs its own name")
            }
        }
        try healthCheck?.validate(field: "service.healthCheck", ports: ports, readiness: false)
        try readinessCheck?.validate(field: "service.readinessCheck", ports: ports, readiness: true)
        if backoff <= .zero { throw .invalidField("service.backoffSeconds", "must be > 0, got \(backoff.seconds)") }
        if !(backoffFactor >= 1) || !backoffFactor.isFinite {
            throw .invalidField("service.backoffFactor", "must be ≥ 1 (1 keeps the delay constant), got \(backoffFactor)")
        }
        if maxLaunchDelay < backoff {
            throw .invalidField("service.maxLaunchDelaySeconds", "must be ≥ backoffSeconds (\(backoff.seconds)), got \(maxLaunchDelay.seconds)")
        }
        for (name, value) in [("minimumHealthCapacity", upgradeStrategy.minimumHealthCapacity), ("maximumOverCapacity", upgradeStrategy.maximumOverCapacity)]
        where !(0...1).contains(value) {
            throw .invalidField("service.upgradeStrategy.\(name)", "must be between 0 and 1, got \(value)")
        }
        if let problem = upgradeStrategy.noRoomToReplaceReason(instances: instances) {
            throw .invalidField("service.upgradeStrategy", problem)
        }
        for (index, constraint) in constraints.enumerated() {
            try constraint.validate(field: "service.constraints[\(index)]", as: ServiceSpecError.self)
        }
        if let killGracePeriod, killGracePeriod < .zero {
            throw .invalidField("service.killGracePeriodSeconds", "must be ≥ 0, got \(killGracePeriod.seconds)")
        }
    }

    /// Checks a service ID: lowercase letters, digits and `-`, at most 63 characters.
    /// - Throws: ``ServiceSpecError`` naming `service.id`.
    public static func validateID(_ id: String) throws(ServiceSpecError) {
        let allowed = id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !id.isEmpty, id.count <= 63, allowed, id.first != "-", id.last != "-" else {
            throw .invalidField("service.id", "'\(id)' must be 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit")
        }
    }
}

extension ServiceCheck {
    func validate(field: String, ports: [String], readiness: Bool) throws(ServiceSpecError) {
        switch probe {
        case .http(let portName, _), .tcp(let portName):
            if ports.isEmpty {
                throw .invalidField(field, "an HTTP or TCP check needs a port; name one in service.ports, such as ports: [http]")
            }
            if let portName, !ports.contains(portName) {
                throw .invalidField("\(field).portName", "'\(portName)' is not one of the service's ports: \(ports.joined(separator: ", "))")
            }
            if case .http(_, let path) = probe, !path.hasPrefix("/") {
                throw .invalidField("\(field).path", "'\(path)' must start with '/'")
            }
        case .command(let command):
            do { try command.validate(field: "\(field).command") } catch {
                throw .invalidField("\(field).command", error.message)
            }
        }
        if delay < .zero { throw .invalidField("\(field).delaySeconds", "must be ≥ 0, got \(delay.seconds)") }
        if interval <= .zero { throw .invalidField("\(field).intervalSeconds", "must be > 0, got \(interval.seconds)") }
        if timeout <= .zero { throw .invalidField("\(field).timeoutSeconds", "must be > 0, got \(timeout.seconds)") }
        if !readiness {
            if gracePeriod < .zero { throw .invalidField("\(field).gracePeriodSeconds", "must be ≥ 0, got \(gracePeriod.seconds)") }
            if maxConsecutiveFailures < 1 {
                throw .invalidField("\(field).maxConsecutiveFailures", "must be ≥ 1, got \(maxConsecutiveFailures)")
            }
        }
    }
}
