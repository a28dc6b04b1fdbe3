import RoostCore
import Testing

/// Resources: fixed-point scalars, ranges, sets, roles, reservations and the collection's arithmetic.
///
/// Parsing, JSON and the property checks are nested suites in `Resources*Tests.swift`,
/// so `--filter ResourcesTests` runs all of them.
struct ResourcesTests {
    // MARK: Scalar

    /// `Scalar(someDouble)` through the throwing initializer (`Scalar(0.1)` would be a literal).
    private func amount(_ value: Double) throws -> Scalar { try Scalar(value) }

    @Test func scalarArithmeticIsExact() throws {
        #expect(try amount(0.1) + amount(0.2) == amount(0.3))
        // Doubles drift; rounding to a thousandth absorbs the drift.
        let drifted: Double = 0.1 + 0.2
        #expect(drifted != 0.3)
        #expect(try amount(drifted) == 0.3)
        #expect((0.1 as Scalar) + 0.2 == 0.3)
        #expect(Scalar(milli: 100) + Scalar(milli: 200) == Scalar(milli: 300))
        var total = Scalar.zero
        for _ in 0..<10 { total += 0.1 }
        #expect(total == 1)
        #expect(total.milli == 1000)
        #expect(total.doubleValue == 1.0)
    }

    @Test func tenTimesATenthOfACPUContainsOneCPU() {
        var offered = Resources()
        for _ in 0..<10 { offered += "cpus:0.1" }
        #expect(offered.contains("cpus:1"))
        #expect(offered == "cpus:1")
        #expect(!offered.contains("cpus:1.001"))
        var remaining: Resources = "cpus:1"
        for _ in 0..<10 { remaining -= "cpus:0.1" }
        #expect(remaining.isEmpty)
    }

    @Test func scalarRoundsAtTheFourthDecimal() throws {
        #expect(try amount(0.0004).milli == 0)
        #expect(try amount(0.0006).milli == 1)
        #expect(try amount(1.2344).milli == 1234)
        #expect(try amount(1.2346).milli == 1235)
        #expect(try amount(2.9999).milli == 3000)
        // Text is read exactly: a tie at the fourth decimal rounds up, later digits are ignored.
        #expect(try Scalar(parsing: "0.0005").milli == 1)
        #expect(try Scalar(parsing: "1.2345").milli == 1235)
        #expect(try Scalar(parsing: "1.23449999").milli == 1234)
        #expect(try Scalar(parsing: "0.9995").milli == 1000)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, -1, -0.0001, 1e20])
    func scalarRejectsNonFiniteNegativeAndHugeValues(_ value: Double) {
        #expect(throws: InputError.self) { try Scalar(value) }
        do {
            _ = try Scalar(value)
        } catch {
            #expect(error.field == "scalar")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func scalarDescriptionIsShortestExactText() throws {
        #expect(Scalar(2).description == "2")
        #expect((0.1 as Scalar).description == "0.1")
        #expect((1.234 as Scalar).description == "1.234")
        #expect(Scalar(1024).description == "1024")
        #expect((0.05 as Scalar).description == "0.05")
        #expect(Scalar(milli: 1).description == "0.001")
        #expect(Scalar(milli: 10_500).description == "10.5")
        #expect(Scalar.zero.description == "0")
        #expect(Scalar.max.description == "9223372036854775.807")
        #expect(try Scalar(parsing: Scalar.max.description) == .max)
    }

    @Test func scalarParsingAcceptsPlainDecimalsOnly() throws {
        #expect(try Scalar(parsing: ".5") == 0.5)
        #expect(try Scalar(parsing: "5.") == 5)
        #expect(try Scalar(parsing: "007") == 7)
        for bad in ["", ".", "1e3", "+1", "1.2.3", "nan", "inf", "0x10", " 1"] {
            #expect(throws: InputError.self, "\(bad)") { try Scalar(parsing: bad) }
        }
        do {
            _ = try Scalar(parsing: "-2")
            Issue.record("negative accepted")
        } catch {
            #expect(error.message == "amounts must not be negative")
        }
    }

    @Test func scalarSubtractionSaturatesAndAdditionSaturates() {
        #expect(Scalar(1).saturatingSubtracting(2) == .zero)
        #expect(Scalar(2).saturatingSubtracting(0.5) == 1.5)
        #expect(Scalar.max + 1 == .max)
        #expect(Scalar(1) < 1.001)
        #expect([Scalar(3), 0.5, 2].sorted() == [0.5, 2, 3])
    }

    // MARK: Ranges

    @Test func rangesMergeAdjacentAndOverlapping() {
        #expect(ValueRanges([1...2, 3...4]).ranges == [1...4])
        #expect(ValueRanges([3...8, 1...5]).ranges == [1...8])
        #expect(ValueRanges([10...12, 1...2, 4...5, 3...3]).ranges == [1...5, 10...12])
        #expect(ValueRanges([1...2, 4...5]).ranges == [1...2, 4...5])
        #expect(ValueRanges([5...5, 5...5]).ranges == [5...5])
        #expect(ValueRanges([1...10, 2...3]).ranges == [1...10])
        #expect(ValueRanges([(UInt64.max - 1)...UInt64.max, 0...(UInt64.max - 2)]).ranges == [0...UInt64.max])
        #expect(ValueRanges([1...2]).union(ValueRanges([3...4])) == ValueRanges([1...4]))
        #expect(ValueRanges([1...2, 9...9]).union(ValueRanges([4...5, 3...3])).ranges == [1...5, 9...9])
        #expect(ValueRanges([1...2, 3...4]) == ValueRanges([1...4]))
    }

    @Test func rangeSubtractionSplitsAndTrims() {
        let ports = ValueRanges([1...10])
        #expect(ports.subtracting(ValueRanges([4...6])).ranges == [1...3, 7...10])
        #expect(ports.subtracting(ValueRanges([1...1])).ranges == [2...10])
        #expect(ports.subtracting(ValueRanges([10...10])).ranges == [1...9])
        #expect(ports.subtracting(ValueRanges([0...20])).isEmpty)
        #expect(ports.subtracting(ValueRanges([1...10])).isEmpty)
        #expect(ports.subtracting(ValueRanges([11...20])) == ports)
        #expect(ports.subtracting(ValueRanges([0...3, 5...5, 9...30])).ranges == [4...4, 6...8])
        #expect(ValueRanges([1...5, 10...15]).subtracting(ValueRanges([4...11])).ranges == [1...3, 12...15])
        #expect(ValueRanges([0...UInt64.max]).subtracting(ValueRanges([0...0, UInt64.max...UInt64.max])).ranges == [1...(UInt64.max - 1)])
        var mutable = ports
        mutable.subtract(ValueRanges([5...5]))
        mutable.formUnion(ValueRanges([5...5]))
        #expect(mutable == ports)
    }

    @Test func rangesContainsAndCount() {
        let ports = ValueRanges([31000...32000, 33000...33000])
        #expect(ports.contains(31000))
        #expect(ports.contains(32000))
        #expect(ports.contains(33000))
        #expect(!ports.contains(32001))
        #expect(!ports.contains(0))
        #expect(ports.contains(ValueRanges([31500...31600, 33000...33000])))
        #expect(!ports.contains(ValueRanges([31500...33000])))
        #expect(ports.contains(.empty))
        #expect(!ValueRanges.empty.contains(ports))
        #expect(ports.count == 1002)
        #expect(ValueRanges.empty.count == 0)
        #expect(ValueRanges.empty.isEmpty)
        #expect(ValueRanges([0...UInt64.max]).count == UInt64.max)
        #expect(ValueRanges([1...UInt64.max]).count == UInt64.max)
    }

    @Test func rangesTextForm() throws {
        let ports = ValueRanges([31000...32000, 33000...33000])
        #expect(ports.description == "[31000-32000,33000-33000]")
        #expect(try ValueRanges(parsing: "[31000-32000,33000]") == ports)
        #expect(try ValueRanges(parsing: " [ 33000 , 31000 - 32000 ] ") == ports)
        #expect(try ValueRanges(parsing: "[]").isEmpty)
        #expect(ValueRanges.empty.description == "[]")
        for (bad, fragment) in [
            ("31000-32000", "is not ranges"), ("[5-3]", "range start 5 is after its end 3"),
            ("[a-3]", "'a'"), ("[1-2-3]", "'1-2-3' is not a range"), ("[1,]", "not a range"),
            ("[99999999999999999999]", "larger than"),
        ] {
            do {
                _ = try ValueRanges(parsing: bad)
                Issue.record("'\(bad)' was accepted")
            } catch {
                #expect(error.field == "ranges")
                #expect(error.message.contains(fragment), "\(error)")
            }
        }
    }

    // MARK: Sets

    @Test func setsUniteSubtractAndCover() {
        let zones: Resources = "zones:{a,b}"
        #expect(zones + "zones:{b,c}" == "zones:{a,b,c}")
        #expect(zones - "zones:{b,c}" == "zones:{a}")
        #expect((zones - "zones:{a,b,c}").isEmpty)
        #expect(zones.contains("zones:{a}"))
        #expect(zones.contains("zones:{a,b}"))
        #expect(!zones.contains("zones:{a,c}"))
        #expect(zones.set(named: "zones") == ["a", "b"])
        #expect(("zones:{}" as Resources).isEmpty)
    }

    // MARK: The collection

    @Test func collectionIsCanonical() throws {
        #expect(("cpus:1;cpus:1" as Resources) == "cpus:2")
        #expect(("cpus:1;mem:0;ports:[];zones:{}" as Resources) == "cpus:1")
        #expect(("cpus:0" as Resources).isEmpty)
        #expect(("mem:2;cpus:1" as Resources).entries.map(\.name) == ["cpus", "mem"])
        #expect(Set<Resources>(["cpus:1;mem:2", "mem:2;cpus:0.5;cpus:0.5"]).count == 1)
        #expect(("ports:[1-2];ports:[3-4]" as Resources) == "ports:[1-4]")
        let built = Resources([
            try Resource(name: "mem", value: .scalar(512)),
            try Resource(name: "cpus", value: .scalar(0.5)),
            try Resource(name: "cpus", value: .scalar(0.5)),
            try Resource(name: "disk", value: .scalar(0)),
        ])
        #expect(built == "cpus:1;mem:512")
        #expect(built.map(\.name) == ["cpus", "mem"])
        #expect(Resources.empty == Resources())
        #expect(Resources.empty.isEmpty)
    }

    @Test func additionAndSubtraction() {
        let agent: Resources = "cpus:8;mem:16384;ports:[31000-32000]"
        let task: Resources = "cpus:0.5;mem:256;ports:[31000-31000]"
        let left = agent - task
        #expect(left == "cpus:7.5;mem:16128;ports:[31001-32000]")
        #expect(left + task == agent)
        #expect(agent.contains(task))
        #expect(!left.contains(task))
        // Subtraction saturates: it removes what is there and ignores the rest.
        #expect(("cpus:1" as Resources) - "cpus:2;mem:5;gpus:{g1}" == Resources.empty)
        #expect(("cpus:1;mem:4" as Resources) - "mem:1" == "cpus:1;mem:3")
        var running = agent
        running -= task
        running -= task
        running += task
        // Amounts count; ranges are sets of values, so the port given back twice is there once.
        #expect(running == "cpus:7.5;mem:16128;ports:[31000-32000]")
        running += "gpus:{g0};cpus(web):1"
        #expect(running == "cpus:7.5;cpus(web):1;gpus:{g0};mem:16128;ports:[31000-32000]")
    }

    @Test func containsOneResourceMeansCoverage() throws {
        let agent: Resources = "cpus:4;cpus(web):1;ports:[1-10]"
        #expect(agent.contains(try Resource(name: "cpus", value: .scalar(1))))
        #expect(agent.contains(try Resource(name: "cpus", value: .scalar(1), role: "web")))
        #expect(!agent.contains(try Resource(name: "cpus", value: .scalar(2), role: "web")))
        #expect(!agent.contains(try Resource(name: "cpus", value: .scalar(1), role: "web", reservation: Reservation())))
        #expect(agent.contains(try Resource(name: "ports", value: .ranges(ValueRanges([3...4])))))
        #expect(!agent.contains(try Resource(name: "ports", value: .ranges(ValueRanges([3...11])))))
        #expect(!agent.contains(try Resource(name: "mem", value: .scalar(1))))
        #expect(!agent.contains(try Resource(name: "cpus", value: .set(["1"]))))
        #expect(agent.contains(try Resource(name: "mem", value: .scalar(0))))
    }

    @Test func rolesDoNotCoverEachOther() {
        let unreserved: Resources = "cpus:4"
        let web: Resources = "cpus(web):4"
        #expect(!unreserved.contains("cpus(web):1"))
        #expect(!web.contains("cpus:1"))
        #expect(web.contains("cpus(web):4"))
        #expect((unreserved + web).scalar(named: "cpus") == 8)
        #expect((unreserved + web).entries.count == 2)
        #expect(((unreserved + web) - "cpus:4") == web)
        #expect(("cpus(*):2" as Resources) == "cpus:2")
    }

    @Test func filtersByRole() {
        let agent: Resources =
            "cpus:4;cpus(web):2;cpus(web,dynamic,principal=ops):1;cpus(batch):3;cpus(eng):5;cpus(eng/backend):6;mem:100"
        #expect(agent.unreserved == "cpus:4;mem:100")
        #expect(agent.reserved(for: "web") == "cpus(web):2;cpus(web,dynamic,principal=ops):1")
        #expect(agent.reserved(for: .any) == agent.unreserved)
        #expect(agent.allocatable(to: "web") == "cpus:4;mem:100;cpus(web):2;cpus(web,dynamic,principal=ops):1")
        #expect(agent.allocatable(to: "other") == agent.unreserved)
        // Hierarchical roles: reservations for an ancestor are allocatable to its descendants, not the reverse.
        #expect(agent.allocatable(to: "eng/backend") == "cpus:4;mem:100;cpus(eng):5;cpus(eng/backend):6")
        #expect(agent.allocatable(to: "eng") == "cpus:4;mem:100;cpus(eng):5")
        #expect(agent.allocatable(to: "engineering") == agent.unreserved)
        #expect(agent.filter { $0.name == "mem" } == "mem:100")
        #expect(agent.filter { $0.isDynamicallyReserved } == "cpus(web,dynamic,principal=ops):1")
        #expect(agent.filter { !$0.isReserved } == agent.unreserved)
    }

    @Test func reservationsAreDistinctFromStaticRoles() throws {
        let staticWeb: Resources = "cpus(web):2"
        let dynamicWeb: Resources = "cpus(web,dynamic,principal=ops):2"
        let otherPrincipal: Resources = "cpus(web,dynamic,principal=dev):2"
        #expect(staticWeb != dynamicWeb)
        #expect(!staticWeb.contains(dynamicWeb))
        #expect(!dynamicWeb.contains(staticWeb))
        #expect(!dynamicWeb.contains(otherPrincipal))
        #expect((staticWeb + dynamicWeb + otherPrincipal).entries.count == 3)
        #expect(dynamicWeb + dynamicWeb == "cpus(web,dynamic,principal=ops):4")
        #expect((staticWeb + dynamicWeb) - dynamicWeb == staticWeb)
        let entry = try #require(dynamicWeb.entries.first)
        #expect(entry.reservation == Reservation(principal: "ops"))
        #expect(entry.isReserved && entry.isDynamicallyReserved)
        #expect(staticWeb.entries.first?.isDynamicallyReserved == false)
        let labelled: Resources = "cpus(web,dynamic,labels={b=2,a=1}):1"
        #expect(labelled.entries.first?.reservation == Reservation(labels: ["a": "1", "b": "2"]))
        #expect(labelled != "cpus(web,dynamic,labels={a=1}):1")
        // Only a named role can hold a dynamic reservation.
        #expect(throws: InputError.self) {
            try Resource(name: "cpus", value: .scalar(1), role: .any, reservation: Reservation())
        }
    }

    @Test func totalsByName() {
        let agent: Resources =
            "cpus:4;cpus(web):2;cpus(web,dynamic):1.5;mem:100;ports:[1-5];ports(web):[6-8,20-20];zones:{a};zones(web):{b}"
        #expect(agent.scalar(named: "cpus") == 7.5)
        #expect(agent.scalar(named: "mem") == 100)
        #expect(agent.scalar(named: "disk") == .zero)
        #expect(agent.scalar(named: "ports") == .zero)
        #expect(agent.ranges(named: "ports") == ValueRanges([1...8, 20...20]))
        #expect(agent.ranges(named: "cpus").isEmpty)
        #expect(agent.set(named: "zones") == ["a", "b"])
        #expect(agent.set(named: "nothing").isEmpty)
        #expect(agent.scalarNames == ["cpus", "mem"])
        #expect(Resources.empty.scalarNames.isEmpty)
    }

    @Test func resourceNamesAreValidated() throws {
        for good in ["cpus", "mem", "nvidia.com_gpu-1", "A9"] {
            #expect(try Resource(name: good, value: .scalar(1)).name == good)
        }
        for bad in ["", "cpu s", "cpus:", "ports[1]", "é", "a/b"] {
            do {
                _ = try Resource(name: bad, value: .scalar(1))
                Issue.record("'\(bad)' accepted")
            } catch {
                #expect(error.field == "resource name")
            }
        }
        #expect(throws: InputError.self) { try Resource(name: "zones", value: .set(["a", ""])) }
    }

    @Test func kindConflictInAdditionIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            let scalar: Resources = "cpus:2"
            let ranges: Resources = "cpus(web):[1-2]"
            _ = scalar + ranges
        }
        await #expect(processExitsWith: .failure) {
            var total: Resources = "cpus:2;mem:1"
            total += "cpus:[1-2]"
        }
    }

    @Test func badLiteralsTrap() async {
        await #expect(processExitsWith: .failure) { _ = Resources(stringLiteral: "cpus:-1") }
        await #expect(processExitsWith: .failure) { _ = Scalar(floatLiteral: -0.5) }
        await #expect(processExitsWith: .failure) { _ = Scalar(milli: -1) }
    }
}
