import Foundation
import RoostTesting

/// The `--plot` SVG of `roost simulate`: per policy, one panel with each resource's
/// utilization (solid) and each framework's dominant share (dashed) over virtual time, as
/// step lines from 0 to 1. Written by hand: plain SVG 1.1 any browser opens.
enum SimulationPlot {
    static let width = 760.0
    static let panelHeight = 220.0
    static let left = 48.0
    static let right = 170.0
    static let top = 30.0
    static let bottom = 34.0
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func render(_ runs: [WorkloadPolicyReport], frameworks: [String]) -> String {
        let resources = Array(Set(runs.flatMap(\.utilization.keys))).sorted()
        let height = Double(runs.count) * (panelHeight + top + bottom) + 10
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>

            """
        for (index, run) in runs.enumerated() {
            let originY = Double(index) * (panelHeight + top + bottom) + top
            svg += panel(run, resources: resources, frameworks: frameworks, originY: originY)
        }
        svg += "</svg>\n"
        return svg
    }

    private static func panel(_ run: WorkloadPolicyReport, resources: [String], frameworks: [String], originY: Double) -> String {
        let plotWidth = width - left - right
        let until = max(run.untilSeconds, 1e-9)
        func x(_ seconds: Double) -> Double { left + plotWidth * min(max(seconds / until, 0), 1) }
        func y(_ value: Double) -> Double { originY + panelHeight * (1 - min(max(value, 0), 1)) }

        var out = "<g>\n"
        out += "<text x=\"\(number(left))\" y=\"\(number(originY - 10))\" font-size=\"13\" font-weight=\"bold\">\(escape(run.policy))</text>\n"
        out += "<rect x=\"\(number(left))\" y=\"\(number(originY))\" width=\"\(number(plotWidth))\" height=\"\(number(panelHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            out += "<line x1=\"\(number(left))\" y1=\"\(number(y(tick)))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(y(tick)))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(number(left - 6))\" y=\"\(number(y(tick) + 4))\" text-anchor=\"end\">\(Int(tick * 100))%</text>\n"
        }
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let seconds = until * fraction
            out += "<text x=\"\(number(x(seconds)))\" y=\"\(number(originY + panelHeight + 14))\" text-anchor=\"middle\">\(number(seconds))</text>\n"
        }
        out += "<text x=\"\(number(left + plotWidth / 2))\" y=\"\(number(originY + panelHeight + 28))\" text-anchor=\"middle\" fill=\"#555\">virtual time (s)</text>\n"

        var series: [(label: String, dashed: Bool, values: [(Double, Double)])] = []
        for name in resources {
            series.append(("\(name) used", false, run.timeline.map { ($0.timeSeconds, $0.utilization[name] ?? 0) }))
        }
        for id in frameworks {
            series.append(("\(id) dominant share", true, run.timeline.map { ($0.timeSeconds, $0.dominantShares[id] ?? 0) }))
        }
        for (index, line) in series.enumerated() {
            let colour = colours[index % colours.count]
            var points: [String] = []
            var previous: Double?
            for (time, value) in line.values where time <= until {
                if let previous { points.append("\(number(x(time))),\(number(y(previous)))") }
                points.append("\(number(x(time))),\(number(y(value)))")
                previous = value
            }
            if let previous { points.append("\(number(x(until))),\(number(y(previous)))") }
            let dash = line.dashed ? " stroke-dasharray=\"6 3\"" : ""
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
            let legendY = originY + 8 + Double(index) * 16
            let legendX = left + plotWidth + 12
            out += "<line x1=\"\(number(legendX))\" y1=\"\(number(legendY))\" x2=\"\(number(legendX + 22))\" y2=\"\(number(legendY))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>\n"
            out += "<text x=\"\(number(legendX + 28))\" y=\"\(number(legendY + 4))\">\(escape(line.label))</text>\n"
        }
        out += "</g>\n"
        return out
    }

    /// Up to two decimals, without trailing zeros.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
