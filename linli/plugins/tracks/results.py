"""赛贡献 — tracks and their rules, scores and rankings, a score explained line by line,
recomputation, publication to the contest's rooms and the showcase (赛场) proposals."""

from __future__ import annotations

from typing import Any

from linli.core.plugin import N_, Address, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.tracks._common import (
    ORGANISER,
    REPORTER,
    is_assessor,
    is_organiser,
    quarter_arg,
    require_track,
    require_unit,
    today,
)
from linli.plugins.tracks.contest import enrolled, fmt, recompute, rules_for, scoring_results
from linli.plugins.tracks.definitions import Quarter, quarter_of, rules_to_data
from linli.plugins.tracks.organising import describe_rules
from linli.plugins.tracks.scoring import decimal_of, score
from linli.plugins.tracks.tables import overall, quarters, scores, showcase, submissions, tracks, units

__all__ = ["Results", "ranking_lines"]


def _quarter(ctx: CommandContext, args: list[str]) -> Quarter:
    if args and Quarter.parse(args[0]):
        return quarter_arg(ctx, args.pop(0))
    return (
        quarter_of(today(ctx)).previous()
        if _published(ctx, quarter_of(today(ctx)).previous())
        else quarter_of(today(ctx))
    )


def _published(ctx: PluginContext, quarter: Quarter) -> bool:
    row = ctx.store.get(quarters, quarters.c.quarter == str(quarter))
    return row is not None and row.published_run is not None


def ranking_lines(ctx: PluginContext, quarter: Quarter, track: Any | None) -> list[str]:
    """A track's ranking (or the overall one), one line a unit."""
    names = {u.id: (u.code, u.name) for u in ctx.store.select(units)}
    if track is None:
        rows = ctx.store.select(overall, overall.c.quarter == str(quarter), order_by=[overall.c.rank, overall.c.id])
        lines = [ctx.t("Overall ranking, {quarter}:", quarter=str(quarter))]
        lines += [
            ctx.t(
                "{rank}. {unit} {name} — {total} (mean of {n} track(s))",
                rank=r.rank,
                unit=names[r.unit_id][0],
                name=names[r.unit_id][1],
                total=fmt(decimal_of(r.mean)),
                n=r.tracks,
            )
            for r in rows
        ]
        return lines
    rows = ctx.store.select(
        scores, scores.c.quarter == str(quarter), scores.c.track_id == track.id, order_by=[scores.c.rank, scores.c.id]
    )
    lines = [ctx.t("Ranking of {track} {name}, {quarter}:", track=track.code, name=track.name, quarter=str(quarter))]
    lines += [
        ctx.t(
            "{rank}. {unit} {name} — {total}",
            rank=r.rank,
            unit=names[r.unit_id][0],
            name=names[r.unit_id][1],
            total=fmt(decimal_of(r.total)),
        )
        for r in rows
    ]
    return lines


class Results(HandlerGroup):
    """``/tracks``, ``/rules``, ``/ranking``, ``/explain``, ``/recompute``, ``/publish``,
    ``/showcase``, ``/confirmshowcase``."""

    @command("tracks", help=N_("The tracks and their units"), aliases=("赛道列表",))
    def tracks_list(self, ctx: CommandContext) -> None:
        members = enrolled(ctx.store)
        rows = ctx.store.select(tracks, order_by=[tracks.c.code])
        if not rows:
            ctx.reply(ctx.t("No track is defined yet."))
            return
        ctx.reply(
            "\n".join(
                ctx.t(
                    "{code} {name}: {units}",
                    code=t.code,
                    name=t.name,
                    units=ctx.t.join(c for _, c in members.get(t.id, [])) or "-",
                )
                for t in rows
            )
        )

    @command(
        "rules", help=N_("A track's rules in force for a quarter"), usage=N_("TRACK [QUARTER]"), aliases=("考核规则",)
    )
    def rules(self, ctx: CommandContext) -> None:
        track = require_track(ctx, ctx.args[0] if ctx.args else "")
        quarter = quarter_arg(ctx, ctx.args[1]) if len(ctx.args) > 1 else quarter_of(today(ctx))
        found = rules_for(ctx.store, track.id, quarter)
        if found is None:
            raise ctx.fail(ctx.t("{track} has no rules for {quarter} yet.", track=track.code, quarter=str(quarter)))
        version, rule_set = found
        lines = [
            ctx.t(
                "Rules of {track} {name} for {quarter} (version {version}):",
                track=track.code,
                name=track.name,
                quarter=str(quarter),
                version=version,
            )
        ]
        lines += describe_rules(ctx, rules_to_data(rule_set))
        ctx.reply("\n".join(lines))

    @command(
        "ranking",
        help=N_("A quarter's ranking, per track or overall"),
        usage=N_("[QUARTER] [TRACK]"),
        aliases=("排名",),
    )
    def ranking(self, ctx: CommandContext) -> None:
        args = list(ctx.args)
        quarter = _quarter(ctx, args)
        track = require_track(ctx, args[0]) if args else None
        if not _published(ctx, quarter) and not (is_organiser(ctx) or is_assessor(ctx)):
            raise ctx.fail(
                ctx.t(
                    "The ranking of {quarter} is not published yet; /mine shows your own scores.", quarter=str(quarter)
                )
            )
        if not _published(ctx, quarter) and not ctx.private:
            raise ctx.fail(
                ctx.t(
                    "The ranking of {quarter} is not published yet: ask for it in a private chat.", quarter=str(quarter)
                )
            )
        ctx.reply("\n".join(ranking_lines(ctx, quarter, track)))

    @command(
        "explain",
        help=N_("A unit's score on a track, line by line"),
        usage=N_("[QUARTER] UNIT TRACK"),
        aliases=("得分明细",),
    )
    def explain(self, ctx: CommandContext) -> None:
        args = list(ctx.args)
        quarter = _quarter(ctx, args)
        if len(args) != 2:
            raise ctx.fail(ctx.t("Usage: /explain [QUARTER] UNIT TRACK"))
        unit, track = require_unit(ctx, args[0]), require_track(ctx, args[1])
        own = ctx.has_role(REPORTER, scope=f"unit:{unit.code}")
        if not (own or is_organiser(ctx) or is_assessor(ctx) or _published(ctx, quarter)):
            raise ctx.fail(ctx.t("Before the ranking is published, a unit's score is shown only to the unit."))
        found = rules_for(ctx.store, track.id, quarter)
        if found is None:
            raise ctx.fail(ctx.t("{track} has no rules for {quarter} yet.", track=track.code, quarter=str(quarter)))
        version, rule_set = found
        rows = ctx.store.select(
            submissions,
            submissions.c.quarter == str(quarter),
            submissions.c.track_id == track.id,
            submissions.c.unit_id == unit.id,
        )
        onsite = {i.code for i in rule_set.indicators if i.onsite}
        card = score(rule_set, unit.code, scoring_results(rows, onsite, {unit.id: unit.code}))
        lines = [
            ctx.t(
                "{unit} {name} on {track}, {quarter} (rules version {version}):",
                unit=unit.code,
                name=unit.name,
                track=track.code,
                quarter=str(quarter),
                version=version,
            )
        ]
        for line in card.lines:
            if line.kind == "indicator":
                ind = rule_set.indicator(line.code)
                assert ind is not None
                if line.value is None:
                    lines.append(
                        ctx.t(
                            "{code} {name}: no verified result → 0 of {weight}",
                            code=line.code,
                            name=line.name,
                            weight=fmt(ind.weight),
                        )
                    )
                else:
                    lines.append(
                        ctx.t(
                            "{code} {name}: {value}{unit} → {share}% of the target × weight {weight} = {points}",
                            code=line.code,
                            name=line.name,
                            value=fmt(line.value),
                            unit=" " + ind.unit if ind.unit else "",
                            share=fmt(line.share * 100),
                            weight=fmt(ind.weight),
                            points=fmt(line.points),
                        )
                    )
            elif line.code:
                capped = " " + ctx.t("(capped)") if line.note == "capped" else ""
                lines.append(
                    ctx.t(
                        "{code} {name}: × {count} = {points}",
                        code=line.code,
                        name=line.name,
                        count=fmt(line.value),
                        points=fmt(line.points),
                    )
                    + capped
                )
            else:
                lines.append(
                    ctx.t("The quarter's bonus is capped.")
                    if line.kind == "bonus"
                    else ctx.t("The quarter's penalty is capped.")
                )
        lines.append(
            ctx.t(
                "Indicators {base} + bonus {bonus} − penalty {penalty} = {total}",
                base=fmt(card.base),
                bonus=fmt(card.bonus),
                penalty=fmt(card.penalty),
                total=fmt(card.total),
            )
        )
        stored = ctx.store.get(
            scores, scores.c.quarter == str(quarter), scores.c.track_id == track.id, scores.c.unit_id == unit.id
        )
        if stored is not None:
            lines.append(ctx.t("Rank {rank} on {track}.", rank=stored.rank, track=track.code))
        if not ctx.private and not _published(ctx, quarter):
            if ctx.send_private(ctx.person.id, "\n".join(lines)):
                ctx.reply(ctx.t("Sent to your private chat: the quarter is not published yet."))
            else:
                ctx.reply(ctx.t("The quarter is not published yet: ask me in a private chat."))
            return
        ctx.reply("\n".join(lines))

    @command(
        "recompute",
        help=N_("Recompute a quarter's scores and rankings"),
        usage=N_("QUARTER"),
        roles=(ORGANISER,),
        aliases=("重新计分",),
    )
    def recompute_cmd(self, ctx: CommandContext) -> None:
        quarter = quarter_arg(ctx, ctx.args[0]) if ctx.args else quarter_of(today(ctx))
        changed = recompute(ctx.store, quarter, ctx.clock.now())
        ctx.audit("tracks.recompute", str(quarter))
        ctx.reply(
            ctx.t("{quarter} is recomputed; the ranking changed.", quarter=str(quarter))
            if changed
            else ctx.t("{quarter} is recomputed; the ranking is the same.", quarter=str(quarter))
        )

    @command(
        "publish",
        help=N_("Publish a quarter's ranking to the contest's rooms"),
        usage=N_("QUARTER"),
        roles=(ORGANISER,),
        aliases=("发布排名",),
    )
    def publish(self, ctx: CommandContext) -> None:
        quarter = quarter_arg(ctx, ctx.args[0] if ctx.args else "")
        recompute(ctx.store, quarter, ctx.clock.now())
        row = ctx.store.get(quarters, quarters.c.quarter == str(quarter))
        if row is None or not ctx.store.count(scores, scores.c.quarter == str(quarter)):
            raise ctx.fail(ctx.t("{quarter} has no scores to publish.", quarter=str(quarter)))
        if row.published_run == row.run:
            raise ctx.fail(ctx.t("This ranking of {quarter} is published already.", quarter=str(quarter)))
        ctx.store.update(
            quarters,
            quarters.c.id == row.id,
            published_run=row.run,
            published_by=ctx.person.id,
            published_at=ctx.clock.now(),
        )
        ctx.audit("tracks.publish", str(quarter), run=row.run)
        text = "\n".join(ranking_lines(ctx, quarter, None))
        room = ctx.config.get("room")
        if room:
            ctx.send(Address.parse(str(room)), text)
        track_rooms = ctx.config.get("track_rooms") or {}
        for t in ctx.store.select(tracks, order_by=[tracks.c.code]):
            if t.code in track_rooms:
                ctx.send(Address.parse(str(track_rooms[t.code])), "\n".join(ranking_lines(ctx, quarter, t)))
        ctx.publish("tracks.ranking_published", {"quarter": str(quarter), "run": row.run})
        ctx.reply(ctx.t("The ranking of {quarter} is published.", quarter=str(quarter)))

    @command(
        "showcase",
        help=N_("Propose each track's top units for the showcase"),
        usage=N_("QUARTER"),
        roles=(ORGANISER,),
        aliases=("赛场",),
    )
    def showcase(self, ctx: CommandContext) -> None:
        quarter = quarter_arg(ctx, ctx.args[0] if ctx.args else "")
        q = str(quarter)
        if ctx.store.count(showcase, showcase.c.quarter == q, showcase.c.state == "confirmed"):
            raise ctx.fail(ctx.t("The showcase of {quarter} is confirmed already.", quarter=q))
        venues = [str(v) for v in ctx.config.get("venues") or []] or ["1"]
        top = int(ctx.config["showcase_top"])
        ctx.store.delete(showcase, showcase.c.quarter == q)
        names = {u.id: u.code for u in ctx.store.select(units)}
        lines = [ctx.t("Proposed for the showcase of {quarter}:", quarter=q)]
        now = ctx.clock.now()
        for i, t in enumerate(ctx.store.select(tracks, order_by=[tracks.c.code])):
            venue = venues[i % len(venues)]
            best = ctx.store.select(
                scores,
                scores.c.quarter == q,
                scores.c.track_id == t.id,
                scores.c.rank <= top,
                order_by=[scores.c.rank, scores.c.id],
            )
            best = [b for b in best if decimal_of(b.total)]  # a unit with nothing verified is not shown
            for b in best:
                ctx.store.insert(
                    showcase, quarter=q, track_id=t.id, unit_id=b.unit_id, venue=venue, rank=b.rank, proposed_at=now
                )
            if best:
                lines.append(
                    ctx.t(
                        "{venue}: {track} — {units}",
                        venue=venue,
                        track=t.code,
                        units=ctx.t.join(names[b.unit_id] for b in best),
                    )
                )
        if len(lines) == 1:
            raise ctx.fail(ctx.t("{quarter} has no scored unit to propose.", quarter=q))
        lines.append(ctx.t("Confirm with /confirmshowcase {quarter}.", quarter=q))
        ctx.reply("\n".join(lines))

    @command(
        "confirmshowcase",
        help=N_("Confirm the showcase and notify the units"),
        usage=N_("QUARTER"),
        roles=(ORGANISER,),
        aliases=("确认赛场",),
    )
    def confirmshowcase(self, ctx: CommandContext) -> None:
        quarter = quarter_arg(ctx, ctx.args[0] if ctx.args else "")
        q = str(quarter)
        rows = ctx.store.select(showcase, showcase.c.quarter == q, showcase.c.state == "proposed")
        if not rows:
            raise ctx.fail(ctx.t("Nothing is proposed for {quarter}; send /showcase {quarter} first.", quarter=q))
        ctx.store.update(
            showcase,
            showcase.c.quarter == q,
            showcase.c.state == "proposed",
            state="confirmed",
            confirmed_by=ctx.person.id,
            confirmed_at=ctx.clock.now(),
        )
        track_codes = {t.id: t.code for t in ctx.store.select(tracks)}
        unit_codes = {u.id: u.code for u in ctx.store.select(units)}
        told = 0
        for r in rows:
            for person_id in ctx.holders_of(REPORTER, scope=f"unit:{unit_codes[r.unit_id]}"):
                t = ctx.translator_for(person_id)
                ctx.send_private(
                    person_id,
                    t(
                        "{unit} presents its work on {track} at {venue} in the {quarter} showcase meeting.",
                        unit=unit_codes[r.unit_id],
                        track=track_codes[r.track_id],
                        venue=r.venue,
                        quarter=q,
                    ),
                )
                told += 1
        room = ctx.config.get("room")
        if room:
            ctx.send(
                Address.parse(str(room)),
                "\n".join(
                    [ctx.t("Showcase of {quarter}:", quarter=q)]
                    + [f"{r.venue}: {track_codes[r.track_id]} — {unit_codes[r.unit_id]}" for r in rows]
                ),
            )
        ctx.audit("tracks.showcase", q, units=len(rows))
        ctx.reply(ctx.t("The showcase of {quarter} is confirmed; {n} reporters are told.", quarter=q, n=told))
