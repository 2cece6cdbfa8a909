# Timing gate of the stratix10-gx-devkit project: `quartus_sta -t usb3_s10_sta_gate.tcl <revision>` after the
# fitter. For every operating condition Quartus offers (get_available_operating_conditions), the slack of every
# clock domain for setup, hold, recovery and removal (get_clock_domain_info); any negative slack prints the worst
# paths of that clock and check (report_timing) and makes the script exit with an error, so compile.sh fails.
#
# get_clock_domain_info's result is read as a list of {clock slack keeper_tns edge_tns} per domain (Intel's Tcl API
# reference for ::quartus::sta; UNVERIFIED until a real Quartus run: tests/board.rs checks this script against a
# hand-made sample of that format, `sta_sample.txt`). Copied into the project by `usb3 board stratix10-gx-devkit`.

# Quartus's own exit where it has one (qexit), plain Tcl's elsewhere.
proc gate_exit {code} {
    if {[info commands qexit] ne ""} {
        if {$code == 0} { qexit -success } else { qexit -error }
    }
    exit $code
}

set revision [lindex $argv 0]
if {$revision eq ""} {
    puts stderr "usage: quartus_sta -t usb3_s10_sta_gate.tcl <revision>"
    gate_exit 2
}
project_open -revision $revision $revision
create_timing_netlist
read_sdc
update_timing_netlist

set failures {}
set checked 0
foreach condition [get_available_operating_conditions] {
    set_operating_conditions $condition
    update_timing_netlist
    foreach check {setup hold recovery removal} {
        foreach domain [get_clock_domain_info -$check] {
            set clock [lindex $domain 0]
            set slack [lindex $domain 1]
            incr checked
            if {$slack < 0} {
                lappend failures [list $condition $check $clock $slack]
                puts "FAIL $condition $check $clock slack $slack ns; the worst paths:"
                report_timing -$check -to_clock $clock -npaths 5 -detail summary -stdout
            } else {
                puts "ok   $condition $check $clock slack $slack ns"
            }
        }
    }
}
delete_timing_netlist
project_close

if {$checked == 0} {
    puts stderr "timing gate: no clock domain was reported: the SDC constrains nothing"
    gate_exit 1
}
if {[llength $failures] > 0} {
    puts stderr "timing gate: [llength $failures] of $checked domain checks have negative slack:"
    foreach f $failures {
        puts stderr "  [join $f { }]"
    }
    gate_exit 1
}
puts "timing gate: all $checked domain checks have positive slack"
gate_exit 0
