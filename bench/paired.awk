# bench/paired.awk: paired timings, one "A_SECONDS B_SECONDS" line per pair (A = without, B = with)
# -> medians, min-max, the ratio of the medians and the median of the per-pair ratios.
# Used by bench/slurm-bench.sh and bench/pam-bench.sh; -v label="..." names the two columns.
function median(v, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ n++; a[n] = $1; b[n] = $2; r[n] = $2 / $1; sa[n] = $1; sb[n] = $2 }
END {
    if (n == 0) { print "no pairs"; exit 1 }
    ma = median(sa, n); mb = median(sb, n); mr = median(r, n)
    mina = maxa = a[1]; minb = maxb = b[1]
    for (i = 1; i <= n; i++) {
        if (a[i] < mina) mina = a[i]; if (a[i] > maxa) maxa = a[i]
        if (b[i] < minb) minb = b[i]; if (b[i] > maxb) maxb = b[i]
    }
    split(label, l, "|")
    printf "| %s | %d | %.1f ms (%.1f-%.1f) | 1.00x |\n", l[1], n, ma * 1000, mina * 1000, maxa * 1000
    printf "| %s | %d | %.1f ms (%.1f-%.1f) | %.3fx (median of the paired ratios %.3fx) |\n", l[2], n, mb * 1000, minb * 1000, maxb * 1000, mb / ma, mr
}
