import Foundation
import RoostCore
import RoostService
import Testing

@Suite("Service specs")
struct SpecTests {
    @Test("A YAML service file decodes with Marathon's defaults for what it leaves out")
    func yamlDefaults() throws {
        let spec = try ServiceSpec.decode("""
            id: web
            command: python3 -m http.server "$PORT0"
            ports: [http]
            healthCheck: { protocol: HTTP, path: /health }
            """, format: .yaml)
        #expect(spec.id == "web")
        #expect(spec.command == .shell("python3 -m http.server \"$PORT0\""))
        #expect(spec.resources == ServiceSpec.defaultResources)
        #expect(spec.instances == 1)
        #expect(spec.backoff == .seconds(1))
        #expect(spec.backoffFactor == 1.15)
        #expect(spec.maxLaunchDelay == .seconds(3600))
        #expect(spec.upgradeStrategy == UpgradeStrategy(minimumHealthCapacity: 1, maximumOverCapacity: 1))
        #expect(spec.killSelection == .youngestFirst)
        let check = try #require(spec.healthCheck)
        #expect(check.probe == .http(portName: nil, path: "/health"))
        #expect(check.gracePeriod == .seconds(300))
        #expect(check.interval == .seconds(60))
        #expect(check.timeout == .seconds(20))
        #expect(check.maxConsecutiveFailures == 3)
        #expect(spec.readinessCheck == nil)
    }

    @Test("Every field of a JSON service file is read, and the spec round-trips")
    func jsonRoundTrip() throws {
        let spec = try ServiceSpec.decode("""
            {"id": "api", "command": ["/usr/bin/env", "serve"], "resources": "cpus:0.5;mem:256",
             "environment": {"MODE": "prod"}, "labels": {"team": "core"}, "instances": 4, "ports": ["http", "admin"],
             "healthCheck": {"protocol": "TCP", "portIndex": 1, "gracePeriodSeconds": 5, "intervalSeconds": 2,
                             "timeoutSeconds": 1, "maxConsecutiveFailures": 2, "delaySeconds": 0},
             "readinessCheck": {"command": "test -f ready", "intervalSeconds": 1},
             "backoffSeconds": 2, "backoffFactor": 2, "maxLaunchDelaySeconds": 60,
             "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.25},
             "constraints": [["hostname", "UNIQUE"], {"attribute": "rack", "operator": "GROUP_BY", "value": "2"}],
             "killSelection": "OLDEST_FIRST", "killGracePeriodSeconds": 7}
            """, format: .json)
        #expect(spec.command == .argv(["/usr/bin/env", "serve"]))
        #expect(spec.instances == 4)
        #expect(spec.ports == ["http", "admin"])
        #expect(spec.healthCheck?.probe == .tcp(portName: "admin"))
        #expect(spec.healthCheck?.maxConsecutiveFailures == 2)
        #expect(spec.readinessCheck?.probe == .command(.shell("test -f ready")))
        #expect(spec.readinessCheck?.timeout == .seconds(10))
        #expect(spec.backoffFactor == 2)
        #expect(spec.upgradeStrategy == UpgradeStrategy(minimumHealthCapacity: 0.5, maximumOverCapacity: 0.25))
        #expect(spec.constraints.count == 2)
        #expect(spec.killSelection == .oldestFirst)
        #expect(spec.killGracePeriod == .seconds(7))

        let encoded = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(try ServiceSpec.decode(encoded, format: .json) == spec)
    }

    @Test("A typo is refused with the nearest field name, naming the service")
    func unknownField() {
        #expect(throws: ServiceSpecError(.unknownField, "unknown field 'intances' in service 'web' (did you mean 'instances'?)")) {
            try ServiceSpec.decode("{id: web, command: x, intances: 3}", format: .yaml)
        }
        #expect(throws: ServiceSpecError(.unknownField, "unknown field 'gracePeriodSeconds' in service 'web' at service.readinessCheck; known fields: protocol, portName, portIndex, path, command, delaySeconds, intervalSeconds, timeoutSeconds")) {
            try ServiceSpec.decode("{id: web, command: x, ports: [http], readinessCheck: {protocol: TCP, gracePeriodSeconds: 3}}", format: .yaml)
        }
    }

    @Test("Bad values are refused, each error naming its field", arguments: [
        ("{command: x}", "service.id: required; for example id: web"),
        ("{id: Web, command: x}", "service.id: 'Web' must be 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit"),
        ("{id: web, command: x, instances: -1}", "service.instances: must be between 0 and 1000, got -1"),
        ("{id: web, command: x, resources: 'cpus:x'}", nil),
        ("{id: web, command: x, healthCheck: {protocol: HTTP}}", "service.healthCheck: an HTTP or TCP check needs a port; name one in service.ports, such as ports: [http]"),
        ("{id: web, command: x, ports: [http], healthCheck: {portName: web}}", "service.healthCheck.portName: 'web' is not one of the service's ports: http"),
        ("{id: web, command: x, ports: [http], healthCheck: {portIndex: 2}}", "service.healthCheck.portIndex: 2 is not the index of one of the service's 1 port(s)"),
        ("{id: web, command: x, healthCheck: {protocol: COMMAND}}", "service.healthCheck.command: required; for example command: curl -fs localhost:$PORT0/health"),
        ("{id: web, command: x, healthCheck: {protocol: UDP}}", "service.healthCheck.protocol: 'UDP' is not one of HTTP, TCP, COMMAND"),
        ("{id: web, command: x, backoffFactor: 0.5}", "service.backoffFactor: must be ≥ 1 (1 keeps the delay constant), got 0.5"),
        ("{id: web, command: x, upgradeStrategy: {minimumHealthCapacity: 1.5}}", "service.upgradeStrategy.minimumHealthCapacity: must be between 0 and 1, got 1.5"),
        ("{id: web, command: x, killSelection: RANDOM}", "service.killSelection: 'RANDOM' is not one of YOUNGEST_FIRST, OLDEST_FIRST"),
        ("{id: web, command: x, environment: {PORT0: '1'}}", "service.environment: 'PORT0' is reserved: Roost sets ROOST_*, PORT<n>, PORT_<NAME> and PORTS itself; choose another name"),
        ("{id: web, command: x, ports: [http, http]}", "service.ports[1]: 'http' is named twice; each port needs its own name"),
        ("{id: web, command: '  '}", nil),
    ] as [(String, String?)])
    func badValues(yaml: String, message: String?) {
        do {
            _ = try ServiceSpec.decode(yaml, format: .yaml)
            Issue.record("\(yaml) was accepted")
        } catch {
            if let message { #expect(error.message == message) }
            #expect(error.message.hasPrefix("service.") || error.message.hasPrefix("unknown"))
        }
    }

    @Test("An upgrade strategy that leaves no room to replace an instance is refused")
    func noRoom() {
        do {
            _ = try ServiceSpec.decode("{id: web, command: x, instances: 3, upgradeStrategy: {minimumHealthCapacity: 1, maximumOverCapacity: 0}}", format: .yaml)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidValue)
            #expect(error.message.hasPrefix("service.upgradeStrategy: "))
        }
    }

    @Test("Bad YAML is unreadable, not a field error")
    func unreadable() {
        #expect(throws: ServiceSpecError.self) { try ServiceSpec.decode("id: [web", format: .yaml) }
        do { _ = try ServiceSpec.decode("id: [web", format: .yaml) } catch { #expect(error.code == .unreadable) }
    }

    @Test("The version ignores instances and changes with anything an instance runs")
    func version() {
        let base = ServiceSpec(id: "web", command: .shell("serve"), instances: 2)
        var scaled = base
        scaled.instances = 5
        #expect(scaled.version == base.version)
        #expect(base.version.count == 16)
        var changed = base
        changed.environment["MODE"] = "debug"
        #expect(changed.version != base.version)
        var resized = base
        resized.resources = "cpus:2;mem:128"
        #expect(resized.version != base.version)
    }
}
