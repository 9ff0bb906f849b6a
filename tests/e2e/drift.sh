# aiwb drift: the report's exit codes, table and JSON; every test against
# scipy 1.10 on bike sharing (January vs February 2011, every numeric column)
# and adult (female vs male, numeric and categorical with missing values),
# computed here by scripts/drift_reference.py; bad data; model quality; Model
# Monitor files (shapes, the baseline -> check round trip flagging exactly the
# columns whose L-inf exceeds 0.1, and files in SageMaker's own format).
. "$(dirname "$0")/lib.sh"
e2e_begin
A=$AIWB_BIN
T=$E2E_TMP
D=tests/data/drift
REF=scripts/drift_reference.py
out=$T/out
err=$T/err

SCIPY_PY=
for p in "$E2E_PY" python3 /usr/bin/python3; do
	if "$p" -c 'import scipy, numpy' 2>/dev/null; then SCIPY_PY=$p; break; fi
done

# run EXPECTED_STATUS DESC CMD...: stdout in $out, stderr in $err.
run() {
	_want=$1 _desc=$2
	shift 2
	"$@" >"$out" 2>"$err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_desc"; else fail "$_desc (exit $_rc, wanted $_want)" "$(cat "$err")"; fi
}

json() { e2e_json "$out" "$1"; }

# ---------------------------------------------------------------- usage, help, errors
run 0 "drift --help" "$A" drift --help
check "help names every subcommand" grep -q 'aiwb drift check --baseline DIR DATA -o DIR' "$out"
run 0 "drift report --help" "$A" drift report --help
check "report help lists --test" grep -q -- '--test COL=TEST' "$out"
run 2 "drift without a subcommand is a usage error" "$A" drift
run 2 "an unknown subcommand is a usage error" "$A" drift frobnicate
check "the usage error is one sentence pointing to --help" grep -q "see 'aiwb drift --help'" "$err"
run 2 "report with one file" "$A" drift report "$D/bike_2011_01.csv"
run 2 "an unknown test name" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --test temp=anova
check "it names the valid tests" grep -q 'jensenshannon' "$err"
run 2 "a bad threshold" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --threshold temp=abc
run 2 "baseline without -o" "$A" drift baseline "$D/bike_2011_01.csv"
run 1 "a missing file" "$A" drift report "$T/nope.csv" "$D/bike_2011_02.csv"
check "the error names the file" grep -q 'nope.csv' "$err"
run 1 "ks on a categorical column" "$A" drift report "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" --test workclass=ks
check "the error says why" grep -q "workclass' is categorical" "$err"
run 1 "a column that is not there" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --columns nosuch

# ---------------------------------------------------------------- the report
run 3 "bike January vs February drifts (exit 3)" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --json
check "--json is valid and has every column" json 'len(d["columns"]) == 17 and d["summary"]["tested"] == 16'
check "temp drifts by KS (n <= 1000)" json '[c for c in d["columns"] if c["name"]=="temp"][0]["test"]=="ks" and [c for c in d["columns"] if c["name"]=="temp"][0]["drifted"]'
check "hr does not drift" json 'not [c for c in d["columns"] if c["name"]=="hr"][0]["drifted"]'
check "binary columns use the Z-test, 3-5 values chi-square" json '{c["name"]:c["test"] for c in d["columns"]}["holiday"]=="z" and {c["name"]:c["test"] for c in d["columns"]}["weathersit"]=="chisquare"'
check "dteday is a datetime, not tested" json '[c for c in d["columns"] if c["name"]=="dteday"][0]["test"] is None and [c for c in d["columns"] if c["name"]=="dteday"][0]["type"]=="datetime"'
check "drifted columns come first, most severe first" json 'all(d["columns"][i]["drifted"] >= d["columns"][i+1]["drifted"] for i in range(len(d["columns"])-1))'
check "dataset drift at 10 of 16" json 'd["summary"]["drifted"]==10 and d["summary"]["dataset_drift"] and d["summary"]["drift"]'
run 0 "a file against itself: no drift (exit 0)" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_01.csv"
check "the table says no dataset drift" grep -q '0 of 16 columns drifted' "$out"
run 3 "the table" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --columns temp,hr
check "the table has its header and the two columns" sh -c "grep -q '^COLUMN' '$out' && grep -q '^temp ' '$out' && grep -q '^hr ' '$out' && [ \$(wc -l <'$out') -eq 5 ]"
run 0 "--threshold moves the verdict" "$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --columns temp --threshold temp=1e-50 --json
check "temp is not drifted at p < 1e-50" json 'not d["columns"][0]["drifted"] and d["columns"][0]["threshold"]==1e-50'
run 3 "adult female vs male, defaults (n > 1000)" "$A" drift report "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" --json
check "numeric columns use normalised Wasserstein, categorical Jensen-Shannon" json '{c["name"]:c["test"] for c in d["columns"]}["age"]=="wasserstein" and {c["name"]:c["test"] for c in d["columns"]}["workclass"]=="jensenshannon"'
check "missing values are counted (workclass has '?')" json '[c for c in d["columns"] if c["name"]=="workclass"][0]["current_values"]["missing"] > 0'
check "relationship drifts (Husband/Wife)" json '[c for c in d["columns"] if c["name"]=="relationship"][0]["drifted"]'
run 3 "--compare" "$A" drift report "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" --compare
check "the compare table has L-inf and KS verdict columns" grep -q 'LINF_ROB' "$out"
check "it marks where verdicts disagree" grep -q 'differ' "$out"
run 3 "--compare --json" "$A" drift report "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" --compare --json
check "numeric columns carry ks_p_value and linf_robust" json 'all("ks_p_value" in c and c["linf_robust"] is not None for c in d["columns"] if c["type"]=="numeric")'

# ---------------------------------------------------------------- scipy agreement
if [ -z "$SCIPY_PY" ]; then
	fail "python3 with scipy and numpy is installed (make deps installs python3-scipy)"
else
	bike_cols="instant season yr mnth hr holiday weekday workingday weathersit temp atemp hum windspeed casual registered cnt"
	adult_num="age fnlwgt education-num capital-gain capital-loss hours-per-week"
	adult_cat="workclass education marital-status occupation relationship race native-country income"
	agree() { # DESC BASE CUR ARGS...
		_d=$1 _b=$2 _c=$3
		shift 3
		"$A" drift report "$_b" "$_c" "$@" --json >"$T/aiwb.json" 2>"$err"
		_rc=$?
		if [ "$_rc" -ne 0 ] && [ "$_rc" -ne 3 ]; then
			fail "$_d: aiwb runs" "$(cat "$err")"
			return
		fi
		"$SCIPY_PY" "$REF" report "$_b" "$_c" "$@" >"$T/ref.json" 2>"$err" || {
			fail "$_d: the reference runs" "$(cat "$err")"
			return
		}
		if "$SCIPY_PY" "$REF" compare "$T/aiwb.json" "$T/ref.json" >"$T/cmp" 2>&1; then
			ok "$_d ($(grep -c '^ok' "$T/cmp") values)"
		else
			fail "$_d" "$(grep -v '^ok' "$T/cmp")"
		fi
	}
	for t in ks wasserstein psi jensenshannon chisquare z linf; do
		args=
		for c in $bike_cols; do args="$args --test $c=$t"; done
		# shellcheck disable=SC2086
		agree "bike Jan vs Feb 2011, $t on every numeric column agrees with scipy" "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" $args
		args=
		for c in $adult_num; do args="$args --test $c=$t"; done
		case $t in ks | wasserstein) ;; *) for c in $adult_cat; do args="$args --test $c=$t"; done ;; esac
		# shellcheck disable=SC2086
		agree "adult female vs male, $t agrees with scipy" "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" $args
	done
	agree "bike, KS asymptotic p-values agree with scipy" "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" \
		--ks-method asymp --test temp=ks --test hum=ks --test cnt=ks --test weekday=ks
	agree "adult, KS exact p-values (10,771 x 21,790) agree with scipy" "$D/adult_female.csv.gz" "$D/adult_male.csv.gz" \
		--ks-method exact --test age=ks --test hours-per-week=ks
	agree "bike, Jensen-Shannon in base 2 agrees with scipy" "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" \
		--js-base 2 --test temp=jensenshannon --test season=jensenshannon
fi

# ---------------------------------------------------------------- bad data
printf 'a,b,c\n1,x,\n2,y\n3,"multi\nline",\n4,z,,extra\nfive,w,\n6,x,\n7,y,\n8,x,\n9,y,\n10,x,\n11,y,\n' >"$T/bad.csv"
printf 'a,b,c\n1,x,\n2,x,\n3,y,\n' >"$T/good.csv"
run 0 "bad rows do not stop the report" "$A" drift report "$T/good.csv" "$T/bad.csv" --json
check "bad rows are named on stderr with their lines" grep -q 'bad.csv: 2 bad rows left out (lines 3, 6)' "$err"
check "and counted in the JSON" json 'd["current"]["bad_rows"]==2 and d["current"]["bad_lines"]==[3,6]'
check "a non-numeric value in a numeric column is counted as unparseable" json '[c for c in d["columns"] if c["name"]=="a"][0]["current_values"]["unparseable"]==1'
check "an all-missing column is reported, not tested" json '[c for c in d["columns"] if c["name"]=="c"][0]["test"] is None and [c for c in d["columns"] if c["name"]=="c"][0]["note"]'
check "a quoted field with a newline is one value" json '[c for c in d["columns"] if c["name"]=="b"][0]["current_values"]["values"]==9'
: >"$T/empty.csv"
run 1 "an empty file is an error" "$A" drift report "$T/empty.csv" "$T/good.csv"
check "that says the file is empty" grep -q 'empty.csv is empty' "$err"
printf 'a,b\n' >"$T/header.csv"
run 0 "a header-only file: nothing to test, no crash" "$A" drift report "$T/good.csv" "$T/header.csv" --json
check "its columns say why" json 'all(c["test"] is None and c["note"] for c in d["columns"])'
printf 'a,b,c\n5,x,1\n' >"$T/one.csv"
run 0 "a one-row file" "$A" drift report "$T/good.csv" "$T/one.csv" --json
printf 'a,b\n1,"open\n' >"$T/broken.csv"
run 1 "an unclosed quote is an error naming the line" "$A" drift report "$T/good.csv" "$T/broken.csv"
check "the message has file and line" grep -q 'broken.csv: line 2' "$err"
"$E2E_PY" -c '
import sys
cols = 10000
with open(sys.argv[1], "w") as f:
    f.write(",".join("c%d" % i for i in range(cols)) + "\n")
    for r in range(5):
        f.write(",".join(str((i * 7 + r) % 13) for i in range(cols)) + "\n")
' "$T/wide.csv"
run 0 "10,000 columns" "$A" drift report "$T/wide.csv" "$T/wide.csv" --json
check "all 10,000 are reported" json 'len(d["columns"])==10000'
printf '{"x":1,"m":{"k":"a"}}\n{"x":2,"m":{"k":"b"}}\nnot json\n{"x":3}\n' >"$T/a.jsonl"
run 0 "JSON Lines, nested objects flattened" "$A" drift report "$T/a.jsonl" "$T/a.jsonl" --json
check "m.k is a column and the bad line is counted" json 'any(c["name"]=="m.k" for c in d["columns"]) and d["baseline"]["bad_lines"]==[3]'

# ---------------------------------------------------------------- model quality
printf 'f,y,p\n1,1,1\n2,0,0\n3,1,0\n4,0,0\n' >"$T/q0.csv"
printf 'f,y,p\n1,1,1\n2,1,1\n3,0,1\n4,0,0\n' >"$T/q1.csv"
run 0 "classification quality" "$A" drift report "$T/q0.csv" "$T/q1.csv" --target y --prediction p --json
check "accuracy, precision, recall, F1 on each side" json 'abs(d["model_quality"]["baseline"]["precision"]-1)<1e-12 and abs(d["model_quality"]["baseline"]["recall"]-0.5)<1e-12 and abs(d["model_quality"]["current"]["precision"]-2/3)<1e-12 and abs(d["model_quality"]["current"]["f1"]-0.8)<1e-12 and d["model_quality"]["current"]["accuracy"]==0.75'
check "target and prediction have their own roles" json '{c["name"]:c["role"] for c in d["columns"]}=={"f":"feature","y":"target","p":"prediction"}'
printf 'y,s\n1,0.9\n0,0.2\n1,0.4\n0,0.6\n1,0.8\n' >"$T/s.csv"
run 0 "a score prediction gives ROC AUC" "$A" drift report "$T/s.csv" "$T/s.csv" --target y --prediction s --json
check "ROC AUC is 5/6" json 'abs(d["model_quality"]["baseline"]["roc_auc"]-5/6)<1e-12'
printf 'y,p\n1.5,1\n2.5,3\n10,9\n4.25,4\n0,0.5\n7,7\n8,8\n9,9\n10,10\n11,12\n12,12\n' >"$T/r.csv"
run 0 "regression quality" "$A" drift report "$T/r.csv" "$T/r.csv" --target y --prediction p --json
check "MAE, RMSE and R2" json 'd["model_quality"]["task"]=="regression" and abs(d["model_quality"]["baseline"]["mae"]-3.75/11)<1e-12 and abs(d["model_quality"]["baseline"]["r2"]-0.98353183844567)<1e-12'

# ---------------------------------------------------------------- Model Monitor
run 0 "drift baseline writes the two files" "$A" drift baseline "$D/bike_2011_01.csv" -o "$T/mm"
check "statistics.json is 0600" [ "$(e2e_mode "$T/mm/statistics.json")" = 600 ]
check "the directory is 0700" [ "$(e2e_mode "$T/mm")" = 700 ]
check "statistics.json has the documented shape" e2e_json "$T/mm/statistics.json" 'd["version"]==0 and d["dataset"]["item_count"]==688 and all(f["inferred_type"] in ("Integral","Fractional","String") for f in d["features"]) and all(len(f["numerical_statistics"]["distribution"]["kll"]["buckets"])==10 and sum(b["count"] for b in f["numerical_statistics"]["distribution"]["kll"]["buckets"])==f["numerical_statistics"]["common"]["num_present"] and set(f["numerical_statistics"])>={"common","mean","sum","std_dev","min","max","distribution"} and f["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]["k"]==2048 for f in d["features"] if "numerical_statistics" in f) and [f for f in d["features"] if f["name"]=="dteday"][0]["string_statistics"]["distinct_count"]==31 and [f for f in d["features"] if f["name"]=="temp"][0]["inferred_type"]=="Fractional"'
check "constraints.json has the documented shape" e2e_json "$T/mm/constraints.json" 'd["version"]==0 and all("completeness" in f and "inferred_type" in f for f in d["features"]) and d["monitoring_config"]["distribution_constraints"]["comparison_threshold"]==0.1 and d["monitoring_config"]["distribution_constraints"]["comparison_method"]=="Simple" and d["monitoring_config"]["evaluate_constraints"]=="Enabled" and len([f for f in d["features"] if f["name"]=="dteday"][0]["string_constraints"]["domains"])==31'
run 0 "checking January against its own baseline: no violation" "$A" drift check --baseline "$T/mm" "$D/bike_2011_01.csv" -o "$T/v0"
check "constraint_violations.json is empty" e2e_json "$T/v0/constraint_violations.json" 'd=={"violations":[]}'
run 3 "checking February: violations (exit 3)" "$A" drift check --baseline "$T/mm" "$D/bike_2011_02.csv" -o "$T/v1"
if [ -n "$SCIPY_PY" ]; then
	"$SCIPY_PY" -c '
import csv, json, sys
from scipy import stats
def cols(p):
    r = list(csv.reader(open(p)))
    return {h: [x[i] for x in r[1:]] for i, h in enumerate(r[0])}
a, b = cols(sys.argv[1]), cols(sys.argv[2])
want = sorted(h for h in a if h != "dteday" and stats.ks_2samp([float(x) for x in a[h]], [float(x) for x in b[h]]).statistic > 0.1)
v = json.load(open(sys.argv[3]))["violations"]
got = sorted(x["feature_name"] for x in v if x["constraint_check_type"] == "baseline_drift_check")
print("want", want, "got", got)
sys.exit(0 if want == got else 1)' "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" "$T/v1/constraint_violations.json" >"$T/rt" 2>&1
	check "the round trip flags exactly the columns whose L-inf exceeds 0.1" [ $? -eq 0 ]
	diag "$(cat "$T/rt")"
fi
check "baseline_drift_check descriptions parse with AWS's regex" e2e_json "$T/v1/constraint_violations.json" '__import__("re").search("distance: (.+) exceeds threshold: (.+)", [x for x in d["violations"] if x["constraint_check_type"]=="baseline_drift_check"][0]["description"]) is not None'
check "February dates are outside the January domain" e2e_json "$T/v1/constraint_violations.json" '[x["constraint_check_type"] for x in d["violations"] if x["feature_name"]=="dteday"]==["categorical_values_check"]'
run 3 "files in SageMaker's format (multi-level KLL sketch, Robust)" "$A" drift check --baseline "$D/sagemaker_baseline" "$D/sagemaker_current.csv" -o "$T/v2" --json
check "exactly the expected violations" json 'sorted((x["feature_name"],x["constraint_check_type"]) for x in d["violations"])==[("age","baseline_drift_check"),("age","completeness_check"),("age","data_type_check"),("income","missing_column_check"),("state","categorical_values_check"),("zip","extra_column_check")]'
check "the robust distance is L-inf - 1.8 sqrt((n+m)/nm) over the sketch weights" json 'abs(float(__import__("re").search("distance: (.+) exceeds", [x for x in d["violations"] if x["constraint_check_type"]=="baseline_drift_check"][0]["description"]).group(1)) - (1 - 1.8*((38+17)/(38*17))**0.5)) < 1e-12'
check "the file on disk is the same document" e2e_json "$T/v2/constraint_violations.json" 'len(d["violations"])==6'

e2e_done
