package tier2

import (
	"encoding/json"
	"fmt"

	"github.com/tributary-iot/tributary/models"
)

// ChunkInfo describes one chunk: what the caller records in its metadata
// index when Write returns, and what Info reads back from a file's footer.
type ChunkInfo struct {
	// Path is the chunk's path relative to the store's root (ChunkPath).
	Path string `json:"path"`
	// Stream, Segment, FirstPos and LastPos repeat the ChunkSpec.
	Stream   string `json:"stream"`
	Segment  string `json:"segment"`
	FirstPos uint64 `json:"first_pos"`
	LastPos  uint64 `json:"last_pos"`
	// MinTime and MaxTime bound the points' times (Unix ns, inclusive).
	MinTime int64 `json:"min_time"`
	MaxTime int64 `json:"max_time"`
	// MinDevice and MaxDevice bound the device ids (byte order, inclusive).
	MinDevice string `json:"min_device"`
	MaxDevice string `json:"max_device"`
	// Rows is the number of points; Devices the number of distinct devices.
	Rows    int64 `json:"rows"`
	Devices int   `json:"devices"`
	// RowGroups is the number of Parquet row groups.
	RowGroups int `json:"row_groups"`
	// Bytes is the file's size.
	Bytes int64 `json:"bytes"`
	// Fields lists the field columns, sorted by key; a key's primary kind
	// (the one with the most values) comes first.
	Fields []FieldSchema `json:"fields"`
	// Tags lists the tag columns, sorted by key.
	Tags []TagSchema `json:"tags"`
	// Positions says the chunk has a "pos" column: each row's tier-1
	// position, so that a read can start inside the chunk.
	Positions bool `json:"positions,omitempty"`
}

// FieldSchema describes the column that holds the values of one field key
// and kind.
type FieldSchema struct {
	// Key is the field's key in models.Point.
	Key string `json:"key"`
	// Kind is the values' kind.
	Kind models.Kind `json:"kind"`
	// Column is the Parquet column's name (see docs/tier2-layout.md for the
	// naming rule: usually the key itself).
	Column string `json:"column"`
	// Decimal is set for a float column stored as DECIMAL(18, Scale) in an
	// INT64: every value in the chunk had at most Scale decimals and reads
	// back bit for bit. Other float columns are DOUBLE.
	Decimal bool `json:"decimal,omitempty"`
	// Scale is the decimal's number of digits after the point.
	Scale int `json:"scale,omitempty"`
	// Values counts the non-null values in the column.
	Values int64 `json:"values"`
}

// TagSchema describes the column that holds one tag key's values.
type TagSchema struct {
	// Key is the tag's key in models.Point.
	Key string `json:"key"`
	// Column is the Parquet column's name: "tag_" + Key, unless that is taken.
	Column string `json:"column"`
	// Values counts the points that carry the tag.
	Values int64 `json:"values"`
}

// footerKey is the Parquet key/value metadata entry that holds a chunk's
// description as JSON (footerMeta).
const footerKey = "tributary.chunk"

// footerVersion is the chunk format version written to the footer.
const footerVersion = 1

// footerMeta is the JSON in a chunk's footer. It spells kinds as names so
// the footer reads well in parquet tools.
type footerMeta struct {
	Format    int              `json:"format"`
	Stream    string           `json:"stream"`
	Segment   string           `json:"segment"`
	FirstPos  uint64           `json:"first_pos"`
	LastPos   uint64           `json:"last_pos"`
	Rows      int64            `json:"rows"`
	Devices   int              `json:"devices"`
	MinTime   int64            `json:"min_time"`
	MaxTime   int64            `json:"max_time"`
	MinDevice string           `json:"min_device"`
	MaxDevice string           `json:"max_device"`
	Fields    []footerField    `json:"fields"`
	Tags      []TagSchema      `json:"tags"`
	RowGroups []rowGroupBounds `json:"row_groups"`
	Positions bool             `json:"positions,omitempty"`
}

type footerField struct {
	Key     string `json:"key"`
	Kind    string `json:"kind"`
	Column  string `json:"column"`
	Decimal bool   `json:"decimal,omitempty"`
	Scale   int    `json:"scale,omitempty"`
	Values  int64  `json:"values"`
}

// rowGroupBounds bounds one row group's rows, for skipping it by filter.
type rowGroupBounds struct {
	Rows      int64  `json:"rows"`
	MinTime   int64  `json:"min_time"`
	MaxTime   int64  `json:"max_time"`
	MinDevice string `json:"min_device"`
	MaxDevice string `json:"max_device"`
}

func (info *ChunkInfo) footer(groups []rowGroupBounds) ([]byte, error) {
	m := footerMeta{
		Format: footerVersion, Stream: info.Stream, Segment: info.Segment,
		FirstPos: info.FirstPos, LastPos: info.LastPos, Rows: info.Rows, Devices: info.Devices,
		MinTime: info.MinTime, MaxTime: info.MaxTime, MinDevice: info.MinDevice, MaxDevice: info.MaxDevice,
		Tags: info.Tags, RowGroups: groups, Positions: info.Positions,
	}
	for _, f := range info.Fields {
		m.Fields = append(m.Fields, footerField{
			Key: f.Key, Kind: f.Kind.String(), Column: f.Column, Decimal: f.Decimal, Scale: f.Scale, Values: f.Values,
		})
	}
	return json.Marshal(m)
}

// parseFooter decodes a footer and checks it for consistency.
func parseFooter(data []byte) (ChunkInfo, []rowGroupBounds, error) {
	var m footerMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return ChunkInfo{}, nil, fmt.Errorf("bad %s metadata: %w", footerKey, err)
	}
	if m.Format != footerVersion {
		return ChunkInfo{}, nil, fmt.Errorf("unknown chunk format %d", m.Format)
	}
	info := ChunkInfo{
		Stream: m.Stream, Segment: m.Segment, FirstPos: m.FirstPos, LastPos: m.LastPos,
		MinTime: m.MinTime, MaxTime: m.MaxTime, MinDevice: m.MinDevice, MaxDevice: m.MaxDevice,
		Rows: m.Rows, Devices: m.Devices, RowGroups: len(m.RowGroups), Tags: m.Tags, Positions: m.Positions,
	}
	for _, f := range m.Fields {
		kind, err := models.ParseKind(f.Kind)
		if err != nil {
			return ChunkInfo{}, nil, fmt.Errorf("field %q: %w", f.Key, err)
		}
		if f.Decimal && (kind != models.KindFloat || f.Scale < 0 || f.Scale > maxScale) {
			return ChunkInfo{}, nil, fmt.Errorf("field %q: bad decimal scale %d", f.Key, f.Scale)
		}
		info.Fields = append(info.Fields, FieldSchema{
			Key: f.Key, Kind: kind, Column: f.Column, Decimal: f.Decimal, Scale: f.Scale, Values: f.Values,
		})
	}
	var rows int64
	for _, g := range m.RowGroups {
		if g.Rows <= 0 || g.Rows > maxRowGroupRows {
			return ChunkInfo{}, nil, fmt.Errorf("row group of %d rows", g.Rows)
		}
		rows += g.Rows
	}
	if rows != m.Rows {
		return ChunkInfo{}, nil, fmt.Errorf("row groups hold %d rows, footer says %d", rows, m.Rows)
	}
	return info, m.RowGroups, nil
}
