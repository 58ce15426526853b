//! The SOQL the console needs and nothing more: `SELECT f, ... FROM Obj [WHERE ...] [ORDER BY f
//! [ASC|DESC]] [LIMIT n]`, with `=`, `!=`, `<>`, `IN (...)`, `NOT IN (...)`, `AND`, `OR` and
//! parentheses. Anything else is refused with `MALFORMED_QUERY`: a refusal is better than an
//! answer Salesforce would not give.

use super::ids;
use super::json::Out;
use super::org::{ApiError, Table};
use super::seed::FieldType;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Comma,
    LParen,
    RParen,
    Op(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp {
        field: String,
        negate: bool,
        value: Lit,
    },
    In {
        field: String,
        negate: bool,
        values: Vec<Lit>,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Cond>,
    pub order_by: Option<(String, bool)>,
    pub limit: Option<usize>,
}

fn malformed(msg: impl AsRef<str>) -> ApiError {
    ApiError::new(400, "MALFORMED_QUERY", msg.as_ref(), None)
}

fn unsupported(what: &str) -> ApiError {
    malformed(format!(
        "{what}: not imitated by the simulated org (it answers only the SOQL the console sends)"
    ))
}

/// Unescapes a SOQL string literal body per "Quoted String Escape Sequences": `\n \r \t \b \f
/// \" \' \\` (either case), `\uXXXX`; `\_` and `\%` belong to LIKE only; anything else errs.
fn tokenize(q: &str) -> Result<Vec<Tok>, ApiError> {
    let mut out = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            '=' => {
                out.push(Tok::Op("="));
                i += 1
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Op("!="));
                i += 2
            }
            '<' if chars.get(i + 1) == Some(&'>') => {
                out.push(Tok::Op("!="));
                i += 2
            }
            '<' | '>' => return Err(unsupported("range comparisons")),
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(malformed("unexpected end of query: unterminated string literal"));
                    };
                    i += 1;
                    match c {
                        '\'' => break,
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                return Err(malformed("unterminated escape sequence"));
                            };
                            i += 1;
                            match e {
                                'n' | 'N' => s.push('\n'),
                                'r' | 'R' => s.push('\r'),
                                't' | 'T' => s.push('\t'),
                                'b' | 'B' => s.push('\u{8}'),
                                'f' | 'F' => s.push('\u{c}'),
                                '"' => s.push('"'),
                                '\'' => s.push('\''),
                                '\\' => s.push('\\'),
                                'u' | 'U' => {
                                    let hex: String = chars.iter().skip(i).take(4).collect();
                                    let cp = (hex.len() == 4)
                                        .then(|| u32::from_str_radix(&hex, 16).ok())
                                        .flatten()
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| malformed("Invalid string literal: bad \\u escape"))?;
                                    s.push(cp);
                                    i += 4;
                                }
                                '_' | '%' => {
                                    return Err(malformed(format!(
                                        "Invalid string literal: \\{e} is valid only in LIKE"
                                    )));
                                }
                                other => {
                                    return Err(malformed(format!(
                                        "Invalid string literal: illegal escape sequence \\{other}"
                                    )));
                                }
                            }
                        }
                        c => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse::<f64>()
                    .map_err(|_| malformed(format!("unexpected token: {text}")))?;
                out.push(Tok::Num(n));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            other => return Err(malformed(format!("unexpected token: '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), ApiError> {
        if self.is_kw(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(malformed(format!("expecting '{kw}', found {}", self.found())))
        }
    }
    fn found(&self) -> String {
        match self.peek() {
            None => "end of query".into(),
            Some(Tok::Word(w)) => format!("'{w}'"),
            Some(Tok::Str(s)) => format!("'{s}'"),
            Some(Tok::Num(n)) => format!("'{n}'"),
            Some(Tok::Comma) => "','".into(),
            Some(Tok::LParen) => "'('".into(),
            Some(Tok::RParen) => "')'".into(),
            Some(Tok::Op(o)) => format!("'{o}'"),
        }
    }
    fn ident(&mut self) -> Result<String, ApiError> {
        match self.next() {
            Some(Tok::Word(w)) => {
                if w.contains('.') {
                    return Err(unsupported("relationship fields"));
                }
                Ok(w)
            }
            _ => {
                self.pos -= 1;
                Err(malformed(format!("unexpected token: {}", self.found())))
            }
        }
    }
    fn literal(&mut self) -> Result<Lit, ApiError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Num(n)) => Ok(Lit::Num(n)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Lit::Null),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Lit::Bool(true)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Lit::Bool(false)),
            Some(Tok::Word(_)) => Err(unsupported("date literals, bind variables and functions")),
            _ => {
                self.pos -= 1;
                Err(malformed(format!("unexpected token: {}", self.found())))
            }
        }
    }

    fn cond(&mut self) -> Result<Cond, ApiError> {
        let first = self.term()?;
        let mut terms = vec![first];
        let mut joiner: Option<&str> = None;
        loop {
            let kw = if self.is_kw("AND") {
                "AND"
            } else if self.is_kw("OR") {
                "OR"
            } else {
                break;
            };
            // SOQL refuses AND and OR side by side without parentheses.
            if joiner.is_some_and(|j| j != kw) {
                return Err(malformed(format!(
                    "unexpected token: '{kw}' (mix of AND and OR needs parentheses)"
                )));
            }
            joiner = Some(kw);
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(match joiner {
            None => terms.remove(0),
            Some("AND") => Cond::And(terms),
            Some(_) => Cond::Or(terms),
        })
    }

    fn term(&mut self) -> Result<Cond, ApiError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let c = self.cond()?;
            if self.next() != Some(Tok::RParen) {
                self.pos -= 1;
                return Err(malformed(format!("expecting ')', found {}", self.found())));
            }
            return Ok(c);
        }
        if self.is_kw("NOT") {
            return Err(unsupported("NOT before a condition"));
        }
        let field = self.ident()?;
        let negate_in = self.is_kw("NOT");
        if negate_in {
            self.pos += 1;
        }
        if self.is_kw("IN") {
            self.pos += 1;
            if self.next() != Some(Tok::LParen) {
                self.pos -= 1;
                return Err(malformed(format!("expecting '(', found {}", self.found())));
            }
            if self.is_kw("SELECT") {
                return Err(unsupported("semi-joins"));
            }
            let mut values = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Tok::Comma) => values.push(self.literal()?),
                    Some(Tok::RParen) => break,
                    _ => {
                        self.pos -= 1;
                        return Err(malformed(format!("expecting ')', found {}", self.found())));
                    }
                }
            }
            return Ok(Cond::In {
                field,
                negate: negate_in,
                values,
            });
        }
        if negate_in {
            return Err(malformed(format!("expecting 'IN', found {}", self.found())));
        }
        match self.next() {
            Some(Tok::Op(op)) => {
                let value = self.literal()?;
                Ok(Cond::Cmp {
                    field,
                    negate: op == "!=",
                    value,
                })
            }
            Some(Tok::Word(w))
                if ["LIKE", "INCLUDES", "EXCLUDES"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Err(unsupported(&format!("{} comparisons", w.to_uppercase())))
            }
            _ => {
                self.pos -= 1;
                Err(malformed(format!("unexpected token: {}", self.found())))
            }
        }
    }
}

pub fn parse(q: &str) -> Result<Query, ApiError> {
    let toks = tokenize(q)?;
    let mut p = Parser { toks, pos: 0 };
    p.expect_kw("SELECT")?;
    if p.is_kw("TYPEOF") {
        return Err(unsupported("TYPEOF"));
    }
    let mut fields = Vec::new();
    loop {
        let f = p.ident()?;
        if p.peek() == Some(&Tok::LParen) {
            return Err(unsupported("aggregate and other functions"));
        }
        if fields.iter().any(|g: &String| g.eq_ignore_ascii_case(&f)) {
            return Err(malformed(format!("duplicate field selected: {f}")));
        }
        fields.push(f);
        if p.peek() == Some(&Tok::Comma) {
            p.pos += 1;
            continue;
        }
        break;
    }
    p.expect_kw("FROM")?;
    let object = p.ident()?;
    let mut q = Query {
        fields,
        object,
        filter: None,
        order_by: None,
        limit: None,
    };
    if p.is_kw("WHERE") {
        p.pos += 1;
        q.filter = Some(p.cond()?);
    }
    if p.is_kw("ORDER") {
        p.pos += 1;
        p.expect_kw("BY")?;
        let f = p.ident()?;
        let mut asc = true;
        if p.is_kw("ASC") {
            p.pos += 1;
        } else if p.is_kw("DESC") {
            p.pos += 1;
            asc = false;
        }
        if p.peek() == Some(&Tok::Comma) || p.is_kw("NULLS") {
            return Err(unsupported("ORDER BY with several fields or NULLS"));
        }
        q.order_by = Some((f, asc));
    }
    if p.is_kw("LIMIT") {
        p.pos += 1;
        match p.next() {
            Some(Tok::Num(n)) if n >= 0.0 && n.fract() == 0.0 => q.limit = Some(n as usize),
            _ => return Err(malformed("LIMIT takes a non-negative integer")),
        }
    }
    for kw in ["GROUP", "HAVING", "OFFSET", "FOR", "WITH", "USING"] {
        if p.is_kw(kw) {
            return Err(unsupported(kw));
        }
    }
    if p.peek().is_some() {
        return Err(malformed(format!("unexpected token: {}", p.found())));
    }
    Ok(q)
}

fn no_such_column(field: &str, table: &Table) -> ApiError {
    ApiError::new(
        400,
        "INVALID_FIELD",
        &format!(
            "No such column '{field}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
            table.name
        ),
        None,
    )
}

fn filter_err(msg: String) -> ApiError {
    ApiError::new(400, "INVALID_QUERY_FILTER_OPERATOR", &msg, None)
}

/// A condition with field names resolved and literals checked against field types.
enum Bound {
    Match {
        field: usize,
        negate: bool,
        values: Vec<Value>,
    },
    And(Vec<Bound>),
    Or(Vec<Bound>),
}

fn bind(c: &Cond, t: &Table) -> Result<Bound, ApiError> {
    let one = |field: &str, negate: bool, lits: &[Lit]| -> Result<Bound, ApiError> {
        let i = t
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(field))
            .ok_or_else(|| no_such_column(field, t))?;
        let def = &t.fields[i];
        let mut values = Vec::new();
        for l in lits {
            let v = match (def.ty, l) {
                (_, Lit::Null) => Value::Null,
                (FieldType::Reference, Lit::Str(s)) => {
                    let id = ids::normalize(s).ok_or_else(|| filter_err(format!("invalid ID field: {s}")))?;
                    Value::String(id)
                }
                (FieldType::Text | FieldType::LongText, Lit::Str(s)) => Value::String(s.to_lowercase()),
                (FieldType::Number, Lit::Num(n)) => Value::from(*n),
                (FieldType::Boolean, Lit::Bool(b)) => Value::Bool(*b),
                (FieldType::Datetime, _) => return Err(unsupported("datetime filters")),
                _ => {
                    return Err(filter_err(format!(
                    "value of filter criterion for field '{}' must be of type {} and should not be enclosed in quotes",
                    def.name,
                    match def.ty {
                        FieldType::Number => "double",
                        FieldType::Boolean => "boolean",
                        _ => "string",
                    }
                )))
                }
            };
            values.push(v);
        }
        Ok(Bound::Match {
            field: i,
            negate,
            values,
        })
    };
    match c {
        Cond::Cmp { field, negate, value } => one(field, *negate, std::slice::from_ref(value)),
        Cond::In { field, negate, values } => one(field, *negate, values),
        Cond::And(cs) => Ok(Bound::And(cs.iter().map(|c| bind(c, t)).collect::<Result<_, _>>()?)),
        Cond::Or(cs) => Ok(Bound::Or(cs.iter().map(|c| bind(c, t)).collect::<Result<_, _>>()?)),
    }
}

fn eval(b: &Bound, t: &Table, row: &super::org::Row) -> bool {
    match b {
        Bound::Match { field, negate, values } => {
            let def = &t.fields[*field];
            let actual = match row.get(&def.name) {
                None | Some(Value::Null) => Value::Null,
                // Text comparison in SOQL ignores case.
                Some(Value::String(s)) if matches!(def.ty, FieldType::Text | FieldType::LongText) => {
                    Value::String(s.to_lowercase())
                }
                Some(v) => v.clone(),
            };
            let hit = values.iter().any(|v| match (v, &actual) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b,
            });
            hit != *negate
        }
        Bound::And(bs) => bs.iter().all(|b| eval(b, t, row)),
        Bound::Or(bs) => bs.iter().any(|b| eval(b, t, row)),
    }
}

/// Runs a parsed query against a table: the rendered rows, in order.
pub fn run(q: &Query, t: &Table, version: &str) -> Result<Vec<Out>, ApiError> {
    let mut cols = Vec::new();
    for f in &q.fields {
        let i = t
            .fields
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(f))
            .ok_or_else(|| no_such_column(f, t))?;
        cols.push(i);
    }
    let filter = q.filter.as_ref().map(|c| bind(c, t)).transpose()?;
    let mut rows: Vec<&super::org::Row> = t
        .rows
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|b| eval(b, t, r)))
        .collect();
    if let Some((f, asc)) = &q.order_by {
        let def = t.field(f).ok_or_else(|| no_such_column(f, t))?;
        let name = def.name.clone();
        rows.sort_by(|a, b| {
            let o = cmp_values(a.get(&name), b.get(&name));
            if *asc {
                o
            } else {
                o.reverse()
            }
        });
    }
    if let Some(n) = q.limit {
        rows.truncate(n);
    }
    Ok(rows.into_iter().map(|r| t.render(r, version, Some(&cols))).collect())
}

/// Nulls first, as SOQL sorts ascending by default.
fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_lookups_parse() {
        let q = parse("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND (Id IN ('00GHn0000000001AAA') OR DeveloperName = 'revenue_ops_queue')").expect("the console's queue look-up is supported");
        assert_eq!(q.object, "Group");
        assert!(
            matches!(q.filter, Some(Cond::And(ref v)) if v.len() == 2),
            "AND of a comparison and a parenthesised OR"
        );
    }

    #[test]
    fn escapes_follow_salesforce_rules() {
        let q = parse(r"SELECT Id FROM Account WHERE Name = 'O\'Brien \\ \n \u00e9'")
            .expect("documented escapes are accepted");
        assert_eq!(
            q.filter,
            Some(Cond::Cmp {
                field: "Name".into(),
                negate: false,
                value: Lit::Str("O'Brien \\ \n é".into())
            }),
            "each escape decodes to its character"
        );
        for bad in [
            r"SELECT Id FROM Account WHERE Name = 'a\_b'",
            r"SELECT Id FROM Account WHERE Name = 'a\qb'",
            "SELECT Id FROM Account WHERE Name = 'open",
        ] {
            let e = parse(bad).expect_err("an invalid literal must be refused, never read loosely");
            assert_eq!(e.status, 400, "a malformed query is a 400: {bad}");
        }
    }

    #[test]
    fn mixing_and_or_without_parentheses_is_refused() {
        assert!(
            parse("SELECT Id FROM User WHERE IsActive = true AND Name = 'a' OR Name = 'b'").is_err(),
            "SOQL requires parentheses here; guessing the precedence could give a wrong answer"
        );
    }

    #[test]
    fn unsupported_soql_is_refused() {
        for q in [
            "SELECT COUNT() FROM Account",
            "SELECT Owner.Name FROM Account",
            "SELECT Id FROM Account WHERE Name LIKE 'a%'",
            "SELECT Id FROM Account GROUP BY Name",
            "DELETE FROM Account",
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00Z",
        ] {
            assert!(
                parse(q).is_err(),
                "`{q}` is outside the imitated subset and must be refused, not answered wrongly"
            );
        }
    }
}
