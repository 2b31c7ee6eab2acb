#!/bin/sh
# mkman.sh SOURCE OUTDIR VERSION: write nook.8 and nook-COMMAND.8 (roff, man(7)
# macros) from the one source (docs/man/nook.man; its header says the format).
set -eu
src=$1 out=$2 version=$3
mkdir -p "$out"
awk -v out="$out" -v version="$version" '
function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    if (s ~ /^[.'\'']/) s = "\\&" s
    return s
}
function file_of(name) { return out "/" (name == "nook" ? "nook" : "nook-" name) ".8" }
function title_of(name) { return name == "nook" ? "NOOK" : "NOOK-" toupper(name) }
function close_page() {
    if (page == "") return
    if (page != "nook") {
        print ".SH SEE ALSO" > f
        print ".BR nook (8)" > f
    }
    close(f)
}
# First pass: the command pages, for nook(8)s list.
FNR == NR {
    if ($1 == "@page" && $2 != "nook") { ncmd++; cmd[ncmd] = $2 }
    if ($1 == "@summary" && ncmd) { sub(/^@summary /, ""); summary[cmd[ncmd]] = $0 }
    next
}
/^#/ { next }
$1 == "@page" {
    close_page()
    page = $2; f = file_of(page); mode = "text"; synopsis_done = 0
    printf ".TH %s 8 \"\" \"nook %s\" \"nook manual\"\n", title_of(page), version > f
    next
}
page == "" { next }
$1 == "@summary" {
    sub(/^@summary /, "")
    print ".SH NAME" > f
    printf "%s \\- %s\n", (page == "nook" ? "nook" : "nook\\-" page), esc($0) > f
    next
}
$1 == "@synopsis" {
    sub(/^@synopsis /, "")
    if (!synopsis_done) { print ".SH SYNOPSIS" > f; synopsis_done = 1 } else print ".br" > f
    print esc($0) > f
    next
}
$1 == "@section" { sub(/^@section /, ""); printf ".SH %s\n", esc($0) > f; mode = "text"; next }
$1 == "@option" {
    sub(/^@option /, "")
    if (mode == "example") print ".EE" > f
    print ".TP" > f; printf ".B %s\n", esc($0) > f; mode = "text"; next
}
$1 == "@example" { print ".PP" > f; print ".EX" > f; mode = "example"; next }
$1 == "@text" { if (mode == "example") print ".EE" > f; print ".PP" > f; mode = "text"; next }
$1 == "@commands" {
    for (i = 1; i <= ncmd; i++) {
        print ".TP" > f
        printf ".BR nook\\-%s (8)\n%s\n", cmd[i], esc(summary[cmd[i]]) > f
    }
    next
}
mode == "example" { print esc($0) > f; next }
/^$/ { print ".PP" > f; next }
{ print esc($0) > f }
END { if (mode == "example") print ".EE" > f; close_page() }
' "$src" "$src"
