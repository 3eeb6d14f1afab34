# Reference results of R's `games` (Kenkel and Signorino 2014) for the tests of
# realpolitik.estimation. GPL peer: run here, never imported by the package.
#
# Usage (from the repository root, R and `games` installed; see README.md):
#   Rscript tests/estimation/reference/make_reference.R tests/estimation/reference <games-commit>
#
# Reads the CSV data sets in the output directory (so R and Python fit the very
# same numbers), exports `games`' simulated data sets data_122 and data_123 to
# CSV first, fits every model below with a tight optimiser tolerance (so that the
# oracle is the maximum, not where BFGS stopped), and writes games_reference.json.

suppressPackageStartupMessages({
    library(games)
    library(jsonlite)
    library(numDeriv)
})

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else "tests/estimation/reference"
commit <- if (length(args) >= 2) args[2] else NA_character_

csv <- function(name) file.path(outdir, name)

## simulated data shipped with `games`: export once, then read back like the rest
data("data_122", package = "games")
data("data_123", package = "games")
write.csv(data_122, csv("data_122.csv"), row.names = FALSE)
write.csv(data_123, csv("data_123.csv"), row.names = FALSE)

leblang <- read.csv(csv("leblang2003.csv"))
leblang$outcome <- factor(leblang$outcome, levels = c("no attack", "devaluation", "defense"))
war <- read.csv(csv("war1800.csv"))
war$regime1 <- factor(war$regime1)
war$regime2 <- factor(war$regime2)
d122 <- read.csv(csv("data_122.csv"))
d122$f1 <- factor(d122$f1)
d122$f2 <- factor(d122$f2)
d122$y <- factor(d122$y, levels = c("LL", "LR", "RL", "RR"))
d123 <- read.csv(csv("data_123.csv"))

datasets <- list(leblang2003 = leblang, war1800 = war, data_122 = d122, data_123 = d123)
data_env <- list2env(datasets)
files <- c(leblang2003 = "leblang2003.csv", war1800 = "war1800.csv",
           data_122 = "data_122.csv", data_123 = "data_123.csv")

f_leblang <- paste("outcome ~ capcont + lreserves + overval + creditgrow + USinterest",
                   "+ service + contagion + prioratt - 1 | 1 | 1 | unifgov + lexports",
                   "+ preelec + postelec + rightgov + realinterest + capcont + lreserves")
f_war <- "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"
f_122 <- "y ~ x1 + x2 | x3 + f1 | 0 | x4 + x5 | z1 + z2 | z3 + f2"
f_122d <- "a1 + a2 ~ x1 + x2 | x3 + f1 | 0 | x4 + x5 | z1 + z2 | z3 + f2"
f_123 <- "y ~ x1 + x2 | 0 | x3 | x4 + x5 | 0 | x6 | x7 | x8"
f_123d <- "a1 + a2 + a3 ~ x1 + x2 | 0 | x3 | x4 + x5 | 0 | x6 | x7 | x8"

## id, model, data, formula, link, type, fixedUtils, sdformula, sdByPlayer
specs <- list(
    list(id = "leblang_private_probit", model = "egame12", data = "leblang2003",
         formula = f_leblang, link = "probit", type = "private"),
    list(id = "leblang_agent_probit", model = "egame12", data = "leblang2003",
         formula = f_leblang, link = "probit", type = "agent"),
    list(id = "leblang_agent_logit", model = "egame12", data = "leblang2003",
         formula = f_leblang, link = "logit", type = "agent"),
    list(id = "war_agent_probit", model = "egame12", data = "war1800",
         formula = f_war, link = "probit", type = "agent"),
    list(id = "war_agent_logit", model = "egame12", data = "war1800",
         formula = f_war, link = "logit", type = "agent"),
    list(id = "war_private_probit", model = "egame12", data = "war1800",
         formula = f_war, link = "probit", type = "private"),
    list(id = "war_fixed_agent_probit", model = "egame12", data = "war1800",
         formula = "esc + war ~ 1", link = "probit", type = "agent",
         fixedUtils = c(-1, 0, -1.4, 0.1)),
    list(id = "war_fixed_byplayer_agent_logit", model = "egame12", data = "war1800",
         formula = "esc + war ~ 1", link = "logit", type = "agent",
         fixedUtils = c(-1, 0, -1.4, 0.1), sdByPlayer = TRUE),
    list(id = "war_fixed_sd_private_probit", model = "egame12", data = "war1800",
         formula = "esc + war ~ 1", link = "probit", type = "private",
         fixedUtils = c(-1, 0, -1.4, 0.1), sdformula = "~ balanc"),
    ## R's own Hessian (numerical, from function values) is not negative
    ## definite here; the Richardson Hessian below is
    list(id = "war_fixed_byplayer_private_probit", model = "egame12",
         data = "war1800", formula = "esc + war ~ 1", link = "probit", type = "private",
         fixedUtils = c(-1, 0, -1.4, 0.1), sdformula = "~ balanc | balanc",
         sdByPlayer = TRUE),
    list(id = "war_sd_agent_probit", model = "egame12", data = "war1800",
         formula = f_war, link = "probit", type = "agent", sdformula = "~ balanc - 1"),
    list(id = "war_sd_agent_logit", model = "egame12", data = "war1800",
         formula = f_war, link = "logit", type = "agent", sdformula = "~ balanc - 1"),
    list(id = "war_sd_private_probit", model = "egame12", data = "war1800",
         formula = f_war, link = "probit", type = "private", sdformula = "~ balanc - 1"),
    list(id = "d122_agent_probit", model = "egame122", data = "data_122",
         formula = f_122, link = "probit", type = "agent"),
    list(id = "d122_dummies_agent_logit", model = "egame122", data = "data_122",
         formula = f_122d, link = "logit", type = "agent"),
    ## games 1.1.2 cannot fit egame122 with private information and unit scales
    ## (makeProbs122 reads sds[[7]] from a list of 6: "subscript out of bounds"),
    ## so its private-information oracle carries a scale equation
    list(id = "d122_sd_private_probit", model = "egame122", data = "data_122",
         formula = f_122, link = "probit", type = "private", sdformula = "~ z1 - 1"),
    list(id = "d122_sd_byplayer_agent_probit", model = "egame122", data = "data_122",
         formula = f_122, link = "probit", type = "agent",
         sdformula = "~ x1 - 1 | z1 - 1", sdByPlayer = TRUE),
    list(id = "d122_sd_byplayer_private_probit", model = "egame122", data = "data_122",
         formula = f_122, link = "probit", type = "private",
         sdformula = "~ x1 - 1 | z1 - 1", sdByPlayer = TRUE),
    list(id = "d123_private_probit", model = "egame123", data = "data_123",
         formula = f_123, link = "probit", type = "private"),
    list(id = "d123_dummies_agent_probit", model = "egame123", data = "data_123",
         formula = f_123d, link = "probit", type = "agent"),
    list(id = "d123_agent_logit", model = "egame123", data = "data_123",
         formula = f_123, link = "logit", type = "agent"),
    list(id = "d123_sd_private_probit", model = "egame123", data = "data_123",
         formula = f_123, link = "probit", type = "private", sdformula = "~ x1 - 1"),
    list(id = "d123_fixed_byplayer_agent_logit", model = "egame123", data = "data_123",
         formula = "y ~ 1", link = "logit", type = "agent",
         fixedUtils = c(1.193, -1.771, 2.888, 0, -0.183, -2.178, 0, 0.31), sdByPlayer = TRUE)
)

fit_spec <- function(s) {
    ## data by name, so that the recorded call names the data set instead of
    ## holding a copy of it
    cl <- list(formulas = Formula::as.Formula(as.formula(s$formula)),
               data = as.name(s$data), link = s$link, type = s$type,
               reltol = 1e-12, iterlim = 10000)
    if (!is.null(s$fixedUtils)) cl$fixedUtils <- s$fixedUtils
    if (!is.null(s$sdformula)) cl$sdformula <- Formula::as.Formula(as.formula(s$sdformula))
    if (!is.null(s$sdByPlayer)) cl$sdByPlayer <- s$sdByPlayer
    t0 <- proc.time()[["elapsed"]]
    m <- suppressWarnings(do.call(s$model, cl, envir = data_env))
    secs <- proc.time()[["elapsed"]] - t0
    se <- suppressWarnings(sqrt(diag(m$vcov)))
    list(m = m, secs = secs, se = se, rich = richardson_se(m))
}

## An independent Hessian: Richardson extrapolation (numDeriv) of the summed
## log-likelihood of `games` at its estimate. `games` reports a Hessian from
## maxLik, which is a finite difference of function values whenever a scale
## equation is estimated (no analytic gradient then), too coarse to test
## standard errors against; this one is accurate to many digits.
richardson_se <- function(m) {
    ll <- switch(class(m)[2], egame12 = games:::logLik12, egame122 = games:::logLik122,
                 egame123 = games:::logLik123)
    regr <- lapply(seq_len(length(m$formulas)[2]),
                   function(i) model.matrix(m$formulas, data = m$model, rhs = i))
    y <- as.numeric(m$y)
    b <- m$coefficients
    free <- !m$fixed
    f <- function(bf) { bb <- b; bb[free] <- bf; sum(ll(bb, y = y, regr = regr, link = m$link, type = m$type)) }
    h <- numDeriv::hessian(f, b[free])
    ok <- !inherits(tryCatch(chol(-h), error = identity), "error")
    v <- tryCatch(solve(-h), error = function(e) matrix(NA, nrow(h), ncol(h)))
    se <- rep(NA_real_, length(b))
    se[free] <- suppressWarnings(sqrt(diag(v)))
    list(se = se, negative_definite = ok)
}

num_or_null <- function(x) lapply(as.list(x), function(v) if (is.finite(v)) v else NULL)

fits <- list()
models <- list()
for (s in specs) {
    cat("fitting", s$id, "\n")
    r <- fit_spec(s)
    m <- r$m
    models[[s$id]] <- m
    fits[[length(fits) + 1]] <- list(
        id = s$id, model = s$model, data = files[[s$data]], formula = s$formula,
        link = m$link, type = m$type,
        fixedUtils = if (is.null(s$fixedUtils)) NULL else s$fixedUtils,
        sdformula = if (is.null(s$sdformula)) NULL else s$sdformula,
        sdByPlayer = if (is.null(s$sdByPlayer)) FALSE else s$sdByPlayer,
        levels = levels(m$y),
        call = paste(deparse(m$call, width.cutoff = 500L), collapse = " "),
        options = "reltol = 1e-12, iterlim = 10000 (passed to maxLik's BFGS)",
        n = nrow(m$model),
        log_likelihood = sum(m$log.likelihood),
        names = names(m$coefficients),
        coefficients = unname(m$coefficients),
        std_errors = num_or_null(unname(r$se)),
        std_errors_richardson = num_or_null(r$rich$se),
        richardson_negative_definite = r$rich$negative_definite,
        fixed = unname(m$fixed),
        convergence_code = m$convergence$code,
        iterations = unname(m$convergence$iter),
        local_id = m$localID,
        loglik_cases_first = head(m$log.likelihood, 25),
        seconds = r$secs
    )
}

## the published fit exactly as the article's example runs it (default tolerance)
pub <- egame12(as.formula(f_leblang), data = leblang, link = "probit", type = "private")
published_default <- list(
    call = paste(deparse(pub$call, width.cutoff = 500L), collapse = " "),
    log_likelihood = sum(pub$log.likelihood),
    names = names(pub$coefficients),
    coefficients = unname(pub$coefficients),
    std_errors = unname(sqrt(diag(pub$vcov)))
)

## non-nested tests (games::vuong, games::clarke). The ?vuong example's
## balance-of-power model has its maximum at infinity (its intercepts run off
## as BFGS iterates), so the comparison here is the main war1800 model against
## the regime-type model of that example, both on the same 282 cases.
m_war <- models[["war_agent_probit"]]
m_reg <- egame12(esc + war ~ regime1 | 0 | regime1 + regime2 | regime1 + regime2,
                 data = war, reltol = 1e-12, iterlim = 10000)
v <- vuong(m_war, m_reg)
cl <- clarke(m_war, m_reg)
nonnested <- list(
    model1 = list(fit = "war_agent_probit", formula = f_war,
                  log_likelihood = sum(m_war$log.likelihood), n_params = sum(!m_war$fixed)),
    model2 = list(formula = "esc + war ~ regime1 | 0 | regime1 + regime2 | regime1 + regime2",
                  link = "probit", type = "agent",
                  log_likelihood = sum(m_reg$log.likelihood), n_params = sum(!m_reg$fixed)),
    loglik1 = m_war$log.likelihood,
    loglik2 = m_reg$log.likelihood,
    vuong_statistic = v$stat,
    vuong_p = 2 * pnorm(-abs(v$stat)),
    clarke_statistic = cl$stat,
    clarke_p = 2 * pbinom(min(cl$stat, cl$nobs - cl$stat), cl$nobs, 0.5),
    nobs = v$nobs
)

## likelihood profile of one coefficient (games::profile.game)
pm <- models[["war_agent_probit"]]
## report = TRUE: games 1.1.2 fails with report = FALSE (its progress bar is used regardless)
pr <- suppressWarnings(profile(pm, which = 2, steps = 3, dist = 2, report = TRUE,
                               reltol = 1e-12, iterlim = 10000))
prof <- pr[[1]]
profile_ref <- list(
    fit = "war_agent_probit", coefficient = names(pm$coefficients)[2], steps = 3, dist = 2,
    values = prof[[names(pm$coefficients)[2]]], log_likelihood = prof$logLik
)

## predicted probabilities over a covariate at the `games` profile (predProbs, no CI)
pp <- predProbs(models[["war_agent_probit"]], x = "balanc", n = 5, ci = 0, report = FALSE)
pp_ref <- list(
    fit = "war_agent_probit", x = "balanc", n = 5,
    x_values = pp$balanc,
    probabilities = lapply(1:3, function(j) pp[[j]]),
    outcome_names = names(pp)[1:3],
    profile = lapply(as.list(pp[1, -(1:3)]), function(v) if (is.factor(v)) as.character(v) else v)
)

## R's regressor coding (model.matrix, treatment contrasts) for the naming rules
design_formulas <- c("~ x1 + f1 - 1", "~ f1:x1", "~ x1*f1 - 1", "~ f1 + f2 - 1",
                     "~ f2 + f1:f2", "~ x2:x1 + x1 + x2", "~ f1*f2", "~ 0 + f2:x3 + f1")
designs <- lapply(design_formulas, function(f) {
    mm <- model.matrix(as.formula(f), data = d122)
    list(formula = f, data = "data_122.csv", names = colnames(mm),
         first_rows = unname(lapply(1:6, function(i) unname(mm[i, ]))))
})

out <- list(
    provenance = list(
        package = "games",
        version = as.character(packageVersion("games")),
        commit = commit,
        repository = "https://github.com/brentonk/games",
        maxLik = as.character(packageVersion("maxLik")),
        R = R.version.string,
        date = format(Sys.time(), "%Y-%m-%dT%H:%M:%S%z"),
        script = "tests/estimation/reference/make_reference.R",
        licence = "games is GPL (>= 2): these numbers are test data, never package data"
    ),
    fits = fits,
    published_default = published_default,
    nonnested = nonnested,
    profile = profile_ref,
    pred_probs = pp_ref,
    designs = designs
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(outdir, "games_reference.json"))
cat("wrote", file.path(outdir, "games_reference.json"), "\n")
